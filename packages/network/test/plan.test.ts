import { describe, expect, it } from 'vitest';
import {
  defaultNetworkMode,
  networkSetup,
  parseNetworkMode,
  parsePortSpecs,
  pastaArgs,
  type ResolvedPort,
  slirp4netnsArgs,
  slirpHostfwdRequests,
} from '../src/index.js';
import { pingGroupRange } from '../src/loopback.js';

const resolved = (...specs: string[]) => parsePortSpecs(specs) as ResolvedPort[];

describe('pastaArgs', () => {
  it('no ports: nothing forwarded either way, gateway not mapped to the host', () => {
    expect(pastaArgs({ pid: 42, readyFd: 3 })).toEqual([
      '--foreground',
      '--quiet',
      '--config-net',
      '--netns',
      '/proc/42/ns/net',
      '--userns',
      '/proc/42/ns/user',
      '-t',
      'none',
      '-u',
      'none',
      '-T',
      'none',
      '-U',
      'none',
      '--no-map-gw',
      '--dns-forward',
      '169.254.1.1',
      '--pid',
      '/dev/fd/3',
    ]);
  });

  it('published ports in pasta syntax; -u none still given with only tcp ports', () => {
    const args = pastaArgs({
      pid: 7,
      readyFd: 3,
      ports: resolved('127.0.0.1:8080:80', '8000-8010:80-90', '[::1]:5353:53/udp'),
    });
    const joined = args.join(' ');
    expect(joined).toContain('-t 127.0.0.1/8080:80 -t 8000-8010:80-90 -u ::1/5353:53 -T none');
    expect(args.filter((a) => a === 'none')).toHaveLength(2);
    expect(pastaArgs({ pid: 7, readyFd: 3, ports: resolved('8080:80') }).join(' ')).toContain(
      '-t 8080:80 -u none',
    );
  });

  it('refuses sctp and a bad pid', () => {
    expect(() => pastaArgs({ pid: 7, readyFd: 3, ports: resolved('80:80/sctp') })).toThrow(
      'pasta cannot publish sctp ports (80/sctp)',
    );
    expect(() => pastaArgs({ pid: 0, readyFd: 3 })).toThrow('bad container pid 0');
  });

  it("keeps root as root (pasta would switch to nobody, who cannot open root's namespaces)", () => {
    expect(pastaArgs({ pid: 7, readyFd: 3, callerIsRoot: true }).slice(-2)).toEqual([
      '--runas',
      '0:0',
    ]);
    expect(pastaArgs({ pid: 7, readyFd: 3 })).not.toContain('--runas');
  });
});

describe('joining by inherited descriptors', () => {
  // The container's /proc/PID/ns entries stop being ours to open once its first process takes
  // ids of its user namespace; the caller opens them before and hands them to the helper.
  it('pasta and slirp4netns join /proc/self/fd/N when given nsFds', () => {
    const pasta = pastaArgs({ pid: 7, readyFd: 3, nsFds: { net: 4, user: 5 } });
    expect(pasta.slice(pasta.indexOf('--netns'), pasta.indexOf('--netns') + 4)).toEqual([
      '--netns',
      '/proc/self/fd/4',
      '--userns',
      '/proc/self/fd/5',
    ]);
    expect(pasta.join(' ')).not.toContain('/proc/7/');
    const slirp = slirp4netnsArgs({ pid: 9, readyFd: 3, exitFd: 4, nsFds: { net: 5, user: 6 } });
    expect(slirp.slice(-3)).toEqual(['--userns-path=/proc/self/fd/6', '/proc/self/fd/5', 'tap0']);
  });

  it('still checks the pid', () => {
    expect(() => pastaArgs({ pid: -1, readyFd: 3, nsFds: { net: 4, user: 5 } })).toThrow(
      'bad container pid -1',
    );
  });
});

describe('slirp4netns', () => {
  it('arguments', () => {
    expect(
      slirp4netnsArgs({ pid: 9, readyFd: 3, exitFd: 4, apiSocket: '/tmp/x/api.sock' }),
    ).toEqual([
      '--configure',
      '--mtu=65520',
      '--disable-host-loopback',
      '--enable-seccomp',
      '--ready-fd=3',
      '--exit-fd=4',
      '--api-socket=/tmp/x/api.sock',
      '--netns-type=path',
      '--userns-path=/proc/9/ns/user',
      '/proc/9/ns/net',
      'tap0',
    ]);
  });

  it('one add_hostfwd per port of a range, to 10.0.2.100', () => {
    const reqs = slirpHostfwdRequests(resolved('127.0.0.1:8000-8001:80-81', '53:53/udp'));
    expect(reqs.map((r) => r.arguments)).toEqual([
      {
        proto: 'tcp',
        host_addr: '127.0.0.1',
        host_port: 8000,
        guest_addr: '10.0.2.100',
        guest_port: 80,
      },
      {
        proto: 'tcp',
        host_addr: '127.0.0.1',
        host_port: 8001,
        guest_addr: '10.0.2.100',
        guest_port: 81,
      },
      {
        proto: 'udp',
        host_addr: '0.0.0.0',
        host_port: 53,
        guest_addr: '10.0.2.100',
        guest_port: 53,
      },
    ]);
  });
});

describe('modes', () => {
  it('parses the four, one line otherwise', () => {
    for (const m of ['none', 'host', 'pasta', 'slirp4netns']) expect(parseNetworkMode(m)).toBe(m);
    expect(() => parseNetworkMode('bridge')).toThrow(
      'bridge: unknown network mode (known: none, host, pasta, slirp4netns)',
    );
    expect(() => parseNetworkMode('pasta:-T,8080')).toThrow(
      'options for the network helper are not supported',
    );
  });

  it('default: pasta, else slirp4netns, else none with a warning; never host', () => {
    const has = (...names: string[]) => ({
      find: (n: string) => (names.includes(n) ? `/usr/bin/${n}` : undefined),
      tun: () => true,
    });
    expect(defaultNetworkMode(has('pasta', 'slirp4netns'))).toEqual({ mode: 'pasta' });
    expect(defaultNetworkMode(has('slirp4netns'))).toEqual({ mode: 'slirp4netns' });
    const none = defaultNetworkMode(has());
    expect(none.mode).toBe('none');
    expect(none.warning).toMatch(
      /^neither pasta .* nor slirp4netns is installed: the container gets no network \(only lo\)$/,
    );
    const noTun = defaultNetworkMode({ find: () => '/usr/bin/x', tun: () => false });
    expect(noTun.mode).toBe('none');
    expect(noTun.warning).toContain('/dev/net/tun');
  });

  it('networkSetup: a net namespace and the lo hook for private modes only', () => {
    expect(networkSetup('host')).toEqual({ namespaces: [], setup: [] });
    const s = networkSetup('none');
    expect(s.namespaces).toEqual(['net']);
    expect(s.setup[0]!.module).toMatch(/dist\/setup\.cjs$/);
  });

  it('pingGroupRange: inside ends whose host ids span every mapped group', () => {
    const rootless =
      '      1100       1001          1\n         0     200000       1100\n      1101     201100      64436\n';
    expect(pingGroupRange(rootless)).toEqual([1100, 65536]);
    expect(pingGroupRange('0 1001 1\n')).toEqual([0, 0]);
    // Backwards inside: the largest line.
    expect(pingGroupRange('0 300000 10\n100 1000 5\n')).toEqual([0, 9]);
  });
});
