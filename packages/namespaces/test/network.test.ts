import { describe, expect, it } from 'vitest';
import { launchConfig, planNetwork, SpawnError } from '../src/index.js';

describe('planNetwork', () => {
  it('a private mode adds the net namespace and the lo-up hook; host adds nothing', () => {
    const p = planNetwork('pasta');
    expect(p.mode).toBe('pasta');
    expect(p.namespaces).toEqual(['net']);
    expect(p.setup).toHaveLength(1);
    expect(p.setup[0]!.module).toMatch(/setup\.cjs$/);
    expect(planNetwork('host')).toMatchObject({ mode: 'host', namespaces: [], setup: [] });
    expect(planNetwork({ mode: 'none' }).namespaces).toEqual(['net']);
  });

  it('parses port specs and keeps parsed mappings', () => {
    const p = planNetwork({
      mode: 'slirp4netns',
      ports: [
        '127.0.0.1:8080:80',
        { hostPort: 5353, containerPort: 53, count: 1, protocol: 'udp' },
      ],
    });
    expect(p.ports).toEqual([
      { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, count: 1, protocol: 'tcp' },
      { hostPort: 5353, containerPort: 53, count: 1, protocol: 'udp' },
    ]);
  });

  it('refuses bad values with one line at the options step', () => {
    const cases: Array<[unknown, RegExp, string]> = [
      ['bridge', /^options: network: .*bridge/, 'ERR_BAD_NETWORK'],
      [{ mode: 'pasta', ports: ['70000:80'] }, /70000/, 'ERR_BAD_PORT'],
      [
        { mode: 'none', ports: ['80'] },
        /ports cannot be published with mode none/,
        'ERR_BAD_NETWORK',
      ],
      [
        { mode: 'host', ports: ['80'] },
        /ports cannot be published with mode host/,
        'ERR_BAD_NETWORK',
      ],
      [{ mode: 'pasta', ports: '80' }, /ports must be an array/, 'ERR_BAD_PORT'],
      [{ mode: 'pasta', mtu: -1 }, /mtu must be a positive integer/, 'ERR_BAD_NETWORK'],
      [{}, /must be a mode/, 'ERR_BAD_NETWORK'],
    ];
    for (const [option, message, code] of cases) {
      let err: unknown;
      try {
        planNetwork(option as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SpawnError);
      expect((err as SpawnError).step).toBe('options');
      expect((err as SpawnError).code).toBe(code);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });
});

describe('launchConfig with a network', () => {
  it("adds net and runs the network's hook before the caller's", () => {
    const cfg = launchConfig({
      argv: ['true'],
      network: 'none',
      setup: [{ module: '/hooks/mine.mjs' }],
    });
    expect(cfg.namespaces).toEqual(['user', 'mnt', 'pid', 'uts', 'ipc', 'net']);
    expect(cfg.setup.map((h) => h.module)).toEqual([
      expect.stringMatching(/setup\.cjs$/),
      '/hooks/mine.mjs',
    ]);
  });

  it('does not add net twice, and refuses net with host', () => {
    const cfg = launchConfig({ argv: ['true'], namespaces: ['user', 'net'], network: 'pasta' });
    expect(cfg.namespaces).toEqual(['user', 'net']);
    expect(launchConfig({ argv: ['true'], network: 'host' }).namespaces).not.toContain('net');
    expect(() =>
      launchConfig({ argv: ['true'], namespaces: ['user', 'net'], network: 'host' }),
    ).toThrow(/network "host" shares the host's network/);
  });
});
