import { describe, expect, it } from 'vitest';
import { RootlessError } from '../src/errors.js';
import { parseNetworkRequest } from '../src/network.js';
import { parseRunRequest } from '../src/options.js';

const ctx = { cwd: '/home/u', hostEnv: {} };
const line = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RootlessError);
    return `rootless: ${(e as RootlessError).message}`;
  }
  throw new Error('expected a throw');
};

describe('network options', () => {
  it('none given: the default network (no request)', () => {
    expect(parseNetworkRequest({})).toBeUndefined();
    expect(parseRunRequest({}, ['sh'], ctx).network).toBeUndefined();
  });

  it('--network, --net, -p, --dns, --add-host', () => {
    expect(
      parseRunRequest(
        {
          net: 'slirp4netns',
          publish: ['127.0.0.1:8080:80', '53:53/udp'],
          dns: ['192.0.2.53'],
          addHost: ['db:10.0.0.5'],
        },
        ['sh'],
        ctx,
      ).network,
    ).toEqual({
      mode: 'slirp4netns',
      ports: [
        { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, count: 1, protocol: 'tcp' },
        { hostPort: 53, containerPort: 53, count: 1, protocol: 'udp' },
      ],
      dns: ['192.0.2.53'],
      addHosts: [{ names: ['db'], ip: '10.0.0.5' }],
    });
  });

  it.each([
    [
      { network: 'bridge' },
      'rootless: --network: bridge: unknown network mode (known: none, host, pasta, slirp4netns)',
    ],
    [{ publish: ['70000:80'] }, 'rootless: -p 70000:80: host port 70000 is out of range 1-65535'],
    [{ publish: ['80/icmp'] }, 'rootless: -p 80/icmp: unknown protocol "icmp" (tcp, udp or sctp)'],
    [
      { network: 'none', publish: ['80'] },
      'rootless: -p: ports cannot be published with --network none',
    ],
    [{ dns: ['resolver'] }, 'rootless: --dns resolver: not an IP address (--dns takes one)'],
    [{ addHost: ['db'] }, 'rootless: --add-host db: the form is NAME:IP'],
  ])('%j: one line', (raw, expected) => {
    expect(line(() => parseNetworkRequest(raw))).toBe(expected);
  });
});
