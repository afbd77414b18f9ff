import { describe, expect, it } from 'vitest';
import { formatPortMapping, NetworkError, parsePortSpec, parsePortSpecs } from '../src/index.js';

const err = (f: () => unknown): NetworkError => {
  try {
    f();
  } catch (e) {
    return e as NetworkError;
  }
  throw new Error('expected a throw');
};

describe('parsePortSpec: the forms podman documents', () => {
  it.each([
    ['80', [{ containerPort: 80, count: 1, protocol: 'tcp' }]],
    ['8080:80', [{ hostPort: 8080, containerPort: 80, count: 1, protocol: 'tcp' }]],
    [
      '127.0.0.1:8080:80',
      [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, count: 1, protocol: 'tcp' }],
    ],
    ['127.0.0.1::80', [{ hostIp: '127.0.0.1', containerPort: 80, count: 1, protocol: 'tcp' }]],
    ['0.0.0.0:8080:80', [{ hostPort: 8080, containerPort: 80, count: 1, protocol: 'tcp' }]],
    [
      '[::1]:8080:80',
      [{ hostIp: '::1', hostPort: 8080, containerPort: 80, count: 1, protocol: 'tcp' }],
    ],
    ['8080:80/udp', [{ hostPort: 8080, containerPort: 80, count: 1, protocol: 'udp' }]],
    ['8080:80/sctp', [{ hostPort: 8080, containerPort: 80, count: 1, protocol: 'sctp' }]],
    ['8000-8010:80-90', [{ hostPort: 8000, containerPort: 80, count: 11, protocol: 'tcp' }]],
    ['80-82', [{ containerPort: 80, count: 3, protocol: 'tcp' }]],
    [
      '53:53/tcp,udp',
      [
        { hostPort: 53, containerPort: 53, count: 1, protocol: 'tcp' },
        { hostPort: 53, containerPort: 53, count: 1, protocol: 'udp' },
      ],
    ],
  ])('%s', (spec, expected) => {
    expect(parsePortSpec(spec)).toEqual(expected);
  });
});

describe('parsePortSpec: one clear line for each mistake', () => {
  it.each([
    ['70000:80', '70000:80: host port 70000 is out of range 1-65535'],
    ['8080:0', '8080:0: container port 0 is out of range 1-65535'],
    ['8080:http', '8080:http: container port "http" is not a number'],
    ['8080:80/icmp', '8080:80/icmp: unknown protocol "icmp" (tcp, udp or sctp)'],
    ['8080:80/tcp/udp', '8080:80/tcp/udp: the protocol can only be given once'],
    ['8080:', '8080:: the container port is missing'],
    ['', ': empty port spec'],
    ['8000-8010:80', '8000-8010:80: the host range has 11 port(s) and the container range 1'],
    ['90-80', '90-80: container port range 90-80 must end above its start'],
    ['80-80', '80-80: container port range 80-80 must end above its start'],
    ['1-2-3', '1-2-3: container port "1-2-3" is not a port or a range START-END'],
    ['300.0.0.1:80:80', '300.0.0.1:80:80: "300.0.0.1" is not an IP address'],
    [':80:80', ':80:80: empty host address'],
    ['::1:8080:80', '::1:8080:80: the form is [[IP:][HOSTPORT]:]CONTAINERPORT[/PROTOCOL]'],
    ['[::1]:80', '[::1]:80: with an IPv6 address the form is [IP]:HOSTPORT:CONTAINERPORT'],
    ['[127.0.0.1]:80:80', '[127.0.0.1]:80:80: "127.0.0.1" is not an IPv6 address'],
    ['[::1]8080:80', '[::1]8080:80: the address [::1] must be followed by ":"'],
    ['-1:80', '-1:80: host port "-1" is not a port or a range START-END'],
  ])('%s', (spec, message) => {
    const e = err(() => parsePortSpec(spec));
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.code).toBe('ERR_BAD_PORT');
    expect(e.message).toBe(message);
    expect(e.message).not.toContain('\n');
  });
});

describe('parsePortSpecs', () => {
  it('keeps every mapping in order', () => {
    expect(parsePortSpecs(['8080:80', '127.0.0.1:8443:443/udp'])).toHaveLength(2);
  });

  it('refuses a host port published twice (overlapping ranges, every address vs one)', () => {
    expect(err(() => parsePortSpecs(['8080:80', '127.0.0.1:8080:81'])).message).toBe(
      '127.0.0.1:8080:81: host port 8080/tcp is already published by 8080:80',
    );
    expect(err(() => parsePortSpecs(['8000-8010:80-90', '8005:22'])).code).toBe('ERR_BAD_PORT');
  });

  it('allows the same port for tcp and udp, and on two addresses', () => {
    expect(parsePortSpecs(['53:53/tcp', '53:53/udp'])).toHaveLength(2);
    expect(parsePortSpecs(['127.0.0.1:80:80', '127.0.0.2:80:80'])).toHaveLength(2);
  });
});

describe('formatPortMapping', () => {
  it('prints podman port lines', () => {
    expect(formatPortMapping(parsePortSpec('127.0.0.1:8080:80')[0]!)).toBe(
      '80/tcp -> 127.0.0.1:8080',
    );
    expect(formatPortMapping(parsePortSpec('8000-8001:80-81/udp')[0]!)).toBe(
      '80-81/udp -> 0.0.0.0:8000-8001',
    );
    expect(formatPortMapping(parsePortSpec('[::1]:8080:80')[0]!)).toBe('80/tcp -> [::1]:8080');
  });
});
