import { describe, expect, it } from 'vitest';
import {
  hostsFile,
  parseAddHost,
  parseDnsServer,
  parseResolvConf,
  resolvConf,
} from '../src/index.js';

const HOST = `# generated
search example.org corp.example
nameserver 127.0.0.53
nameserver 10.255.255.53
options edns0 trust-ad
`;

describe('resolvConf', () => {
  it('pasta: its forwarder first, then the host servers not on loopback; search and options kept', () => {
    expect(resolvConf({ mode: 'pasta', hostResolvConf: HOST })).toBe(
      'search example.org corp.example\nnameserver 169.254.1.1\nnameserver 10.255.255.53\noptions edns0 trust-ad\n',
    );
  });

  it('slirp4netns: 10.0.2.3 first', () => {
    expect(resolvConf({ mode: 'slirp4netns', hostResolvConf: HOST })).toContain(
      'nameserver 10.0.2.3\nnameserver 10.255.255.53\n',
    );
  });

  it('none: no forwarder, no loopback server', () => {
    expect(resolvConf({ mode: 'none', hostResolvConf: HOST })).toBe(
      'search example.org corp.example\nnameserver 10.255.255.53\noptions edns0 trust-ad\n',
    );
  });

  it('host: the host file as it is', () => {
    expect(resolvConf({ mode: 'host', hostResolvConf: HOST })).toBe(HOST);
  });

  it('--dns, --dns-search, --dns-option replace the host values', () => {
    expect(
      resolvConf({
        mode: 'pasta',
        hostResolvConf: HOST,
        dns: ['192.0.2.53', '2001:db8::53'],
        dnsSearch: ['.'],
        dnsOptions: ['ndots:2'],
      }),
    ).toBe('nameserver 192.0.2.53\nnameserver 2001:db8::53\noptions ndots:2\n');
  });

  it('a bad --dns is one line', () => {
    expect(() => parseDnsServer('dns.example')).toThrow(
      'dns.example: not an IP address (--dns takes one)',
    );
  });

  it('parses the lines glibc reads', () => {
    expect(parseResolvConf('domain a.example\nsearch b.example\nnameserver 1.1.1.1 # x\n')).toEqual(
      { nameservers: ['1.1.1.1'], search: ['b.example'], options: [] },
    );
  });
});

describe('parseAddHost', () => {
  it('takes podman forms', () => {
    expect(parseAddHost('db:10.0.0.5')).toEqual({ names: ['db'], ip: '10.0.0.5' });
    expect(parseAddHost('a;b.example:10.0.0.5')).toEqual({
      names: ['a', 'b.example'],
      ip: '10.0.0.5',
    });
    expect(parseAddHost('v6:::1')).toEqual({ names: ['v6'], ip: '::1' });
    expect(parseAddHost('v6:[2001:db8::1]')).toEqual({ names: ['v6'], ip: '2001:db8::1' });
  });

  it.each([
    ['db', '--add-host db: the form is NAME:IP'],
    ['db:nowhere', '--add-host db:nowhere: "nowhere" is not an IP address'],
    ['bad name:10.0.0.1', '--add-host bad name:10.0.0.1: "bad name" is not a host name'],
    [
      'gw:host-gateway',
      '--add-host gw:host-gateway: host-gateway is not supported: the host is not reachable from a private network',
    ],
  ])('%s', (value, message) => {
    expect(() => parseAddHost(value)).toThrow(message);
  });
});

describe('hostsFile', () => {
  it('private: --add-host first, localhost, the hostname on loopback', () => {
    expect(hostsFile({ mode: 'pasta', hostname: 'box', addHosts: ['db:10.0.0.5'] })).toBe(
      [
        '10.0.0.5\tdb',
        '127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4',
        '::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6',
        '127.0.0.1\tbox',
        '::1\tbox',
        '',
      ].join('\n'),
    );
  });

  it('slirp4netns: the hostname on the container address', () => {
    expect(hostsFile({ mode: 'slirp4netns', hostname: 'box', address: '10.0.2.100' })).toContain(
      '10.0.2.100\tbox\n',
    );
  });

  it('host: starts from the host file', () => {
    expect(
      hostsFile({ mode: 'host', hostHosts: '127.0.0.1 localhost\n', addHosts: ['db:10.0.0.5'] }),
    ).toBe('10.0.0.5\tdb\n127.0.0.1 localhost\n');
  });

  it('refuses a bad hostname', () => {
    expect(() => hostsFile({ mode: 'none', hostname: 'a b' })).toThrow('"a b" is not a host name');
  });
});
