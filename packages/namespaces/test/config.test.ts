import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeError } from '../src/errors.js';
import { runsSingleThreaded } from '../src/here.js';
import {
  cloneFlags,
  type LauncherPool,
  launchConfig,
  type PreparedSpawn,
  parseNamespaceKind,
  SpawnError,
} from '../src/index.js';
import { LineDecoder } from '../src/protocol.js';

describe('launchConfig (pure)', () => {
  it('defaults to user, mnt, pid, uts and ipc namespaces, an empty environment and /', () => {
    const cfg = launchConfig({ argv: ['sh'] });
    expect(cfg).toMatchObject({
      namespaces: ['user', 'mnt', 'pid', 'uts', 'ipc'],
      env: [],
      cwd: '/',
      noNewPrivileges: true,
      dieWithParent: true,
      keepFds: 3,
      fdChannel: 4,
      newSession: true,
      newSessionKeyring: true,
    });
    expect(cfg.searchPath).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  it('searches argv[0] in env.PATH and keeps extra descriptors after 0-2', () => {
    const cfg = launchConfig({
      argv: ['ls'],
      env: { PATH: '/bin', A: 'b=c' },
      extraFds: [7, 9],
      namespaces: ['user', 'mount'],
    });
    expect(cfg.searchPath).toBe('/bin');
    expect(cfg.env).toEqual(['PATH=/bin', 'A=b=c']);
    expect(cfg.keepFds).toBe(5);
    expect(cfg.fdChannel).toBe(6);
    expect(cfg.namespaces).toEqual(['user', 'mnt']);
  });

  it.each([
    [{ argv: [] }, 'argv must be a non-empty array of strings'],
    [{ argv: [''] }, 'argv[0] is empty'],
    [{ argv: ['sh'], namespaces: ['user'], hostname: 'x' }, 'hostname needs a uts namespace'],
    [{ argv: ['sh'], env: { 'A=B': '1' } }, 'bad environment variable name "A=B"'],
    [{ argv: ['sh'], uid: -1 }, 'bad id -1'],
    [
      { argv: ['sh'], controllingTerminal: 3 },
      "controllingTerminal 3 is not one of the program's descriptors",
    ],
  ])('refuses %j', (options, message) => {
    const err = (() => {
      try {
        launchConfig(options as never);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SpawnError);
    expect(err).toMatchObject({ step: 'options', message: `options: ${message}` });
  });

  it('refuses an unknown namespace kind', () => {
    expect(() => parseNamespaceKind('foo')).toThrow(/unknown namespace kind "foo"/);
  });
});

describe('namespace flags', () => {
  it('ORs the clone flags of the kinds', () => {
    expect(cloneFlags(['user', 'mnt', 'pid', 'uts', 'ipc'])).toBe(
      0x10000000 | 0x20000 | 0x20000000 | 0x04000000 | 0x08000000,
    );
  });
});

describe('the channel protocol', () => {
  it('splits a byte stream into messages, whatever the chunking', () => {
    const d = new LineDecoder();
    expect(d.push('{"t":"pi')).toEqual([]);
    expect(d.push('d","pid":5}\n{"t":"ready"}\n{"t"')).toEqual([
      { t: 'pid', pid: 5 },
      { t: 'ready' },
    ]);
    expect(d.push(':"exec"}\n')).toEqual([{ t: 'exec' }]);
  });

  it('serializes errno errors as data, keeping errno, code, syscall and path', () => {
    const e = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), {
      errno: 2,
      code: 'ENOENT',
      syscall: 'open',
      path: '/x',
    });
    expect(serializeError('setup', e)).toEqual({
      step: 'setup',
      message: "ENOENT: no such file or directory, open '/x'",
      errno: 2,
      code: 'ENOENT',
      syscall: 'open',
      path: '/x',
    });
    const s = new SpawnError(serializeError('exec', e));
    expect(s.message).toBe("exec: ENOENT: no such file or directory, open '/x'");
    expect(s).toMatchObject({
      step: 'exec',
      code: 'ENOENT',
      errno: 2,
      syscall: 'open',
      path: '/x',
    });
  });
});

describe('launchConfig: strings the kernel would cut short', () => {
  it('refuses NUL bytes in argv, the environment, cwd, path and names', () => {
    const bad: Array<[Parameters<typeof launchConfig>[0], string]> = [
      [{ argv: ['printf', 'a\0; rm -rf x'] }, 'argv[1] must not contain a NUL byte'],
      [{ argv: ['env'], env: { X: 'a\0Y=b' } }, 'environment variable X must not contain'],
      [{ argv: ['env'], env: { 'X\0Y': '1' } }, 'environment variable name "X\\0Y"'],
      [{ argv: ['pwd'], cwd: '/tmp\0/x' }, 'cwd must not contain a NUL byte'],
      [{ argv: ['sh'], path: '/bin\0' }, 'path must not contain a NUL byte'],
      [{ argv: ['sh'], hostname: 'a\0b' }, 'hostname must not contain a NUL byte'],
    ];
    for (const [options, message] of bad) {
      expect(() => launchConfig(options)).toThrow(message);
      try {
        launchConfig(options);
      } catch (e) {
        expect(e).toBeInstanceOf(SpawnError);
        expect((e as SpawnError).step).toBe('options');
      }
    }
  });
});

describe('launchConfig: the working directory', () => {
  it('must be absolute: a relative one would resolve against a host directory', () => {
    for (const cwd of ['.', 'tmp', '../etc', '']) {
      expect(() => launchConfig({ argv: ['pwd'], cwd })).toThrow('must be an absolute path');
    }
    expect(launchConfig({ argv: ['pwd'], cwd: '/srv' }).cwd).toBe('/srv');
  });
});

describe('spawn and enter: bad options', () => {
  it('reject the returned promise rather than throw from the call', async () => {
    const { spawn, enter } = await import('../src/index.js');
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = spawn({ argv: [] });
    }).not.toThrow();
    await expect(p).rejects.toMatchObject({ name: 'SpawnError', step: 'options' });
    expect(() => {
      p = enter(process.pid, { argv: ['x'], cwd: 'relative' });
    }).not.toThrow();
    await expect(p).rejects.toMatchObject({ name: 'SpawnError', step: 'options' });
  });
});

describe('launcher pools: bad options', () => {
  it('refuses what is not a LauncherPool, and a bad size, before starting anything', async () => {
    const { createLauncherPool, spawn } = await import('../src/index.js');
    const fake = { size: 1, ready: async () => {}, close: async () => {} };
    await expect(
      spawn({ argv: ['true'], pool: fake as unknown as LauncherPool }),
    ).rejects.toMatchObject({
      name: 'SpawnError',
      step: 'options',
      message: 'options: pool must be a LauncherPool (createLauncherPool makes one)',
    });
    for (const size of [0, -1, 1.5, Number.NaN]) {
      expect(() => createLauncherPool({ size })).toThrow(`options: bad pool size ${size}`);
    }
    await expect(
      spawn({ argv: ['true'], inProcess: true, prepared: { pid: 1 } as unknown as PreparedSpawn }),
    ).rejects.toMatchObject({
      step: 'options',
      message: 'options: prepared must come from prepareSpawn',
    });
  });
});

describe('launchConfig: containment options', () => {
  const refuse = (options: Parameters<typeof launchConfig>[0]) => {
    try {
      launchConfig(options);
    } catch (e) {
      expect(e).toBeInstanceOf(SpawnError);
      expect((e as SpawnError).step).toBe('options');
      return (e as SpawnError).message;
    }
    throw new Error('accepted');
  };

  it('gives a new session, a new session keyring and the terminal guard by default', () => {
    const cfg = launchConfig({ argv: ['sh'] });
    expect(cfg.newSession).toBe(true);
    expect(cfg.newSessionKeyring).toBe(true);
    expect(cfg.seccomp).toHaveLength(1);
    expect(cfg.capabilities).toBeUndefined();
    const bare = launchConfig({ argv: ['sh'], seccomp: 'unconfined', newSessionKeyring: false });
    expect(bare.seccomp).toBeUndefined();
    expect(bare.newSessionKeyring).toBe(false);
  });

  it('maps capability sets to hex masks, by name, number or mask', () => {
    const cfg = launchConfig({
      argv: ['sh'],
      capabilities: {
        bounding: ['CAP_CHOWN', 'net_raw', 21],
        permitted: ['chown', 'cap_net_raw'],
        effective: ['chown'],
        inheritable: 1n << 13n,
        ambient: ['NET_RAW'],
      },
    });
    expect(cfg.capabilities).toMatchObject({
      bounding: `0x${((1n << 0n) | (1n << 13n) | (1n << 21n)).toString(16)}`,
      permitted: '0x2001',
      effective: '0x1',
      inheritable: '0x2000',
      ambient: '0x2000',
    });
  });

  it.each([
    [{ bounding: ['cap_foo'] }, 'capabilities.bounding: unknown capability "cap_foo"'],
    [{ effective: ['chown'] }, 'effective must be within permitted: cap_chown'],
    [{ inheritable: ['kill'] }, 'inheritable must be within bounding: cap_kill'],
    [
      { bounding: ['kill'], permitted: ['kill'], ambient: ['kill'] },
      'ambient must be within permitted and inheritable: cap_kill',
    ],
    [{ bounding: 1n << 63n }, "has bits beyond this kernel's capabilities"],
    [{ everything: ['chown'] }, 'unknown set "everything"'],
  ])('refuses capability sets (%#)', (capabilities, message) => {
    expect(refuse({ argv: ['sh'], capabilities: capabilities as never })).toContain(message);
  });

  it('compiles a profile, and refuses a bad one naming the field', () => {
    const cfg = launchConfig({
      argv: ['sh'],
      seccomp: {
        profile: {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
        },
      },
    });
    expect(cfg.seccomp).toHaveLength(2);
    expect(
      refuse({
        argv: ['sh'],
        seccomp: { profile: { defaultAction: 'SCMP_ACT_FOO', syscalls: [] } },
      }),
    ).toMatch(/^options: seccomp profile: defaultAction: unknown action "SCMP_ACT_FOO"$/);
    expect(refuse({ argv: ['sh'], seccomp: { bpf: new Uint8Array(5) } })).toContain(
      'a BPF program is 1 to',
    );
    expect(refuse({ argv: ['sh'], seccomp: 'none' as never })).toContain(
      "seccomp must be 'unconfined', { profile } or { bpf, flags }",
    );
  });

  it('compiles through a cache directory when given one, which must be absolute', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
    };
    const dir = mkdtempSync(join(tmpdir(), 'ns-seccomp-cache-'));
    try {
      const plain = launchConfig({ argv: ['sh'], seccomp: { profile } });
      const cached = launchConfig({ argv: ['sh'], seccomp: { profile, cacheDir: dir } });
      expect(cached.seccomp).toEqual(plain.seccomp);
      // The profile's program (the terminal guard's too, unless this process compiled it before).
      expect(readdirSync(dir).filter((n) => n.endsWith('.bpf')).length).toBeGreaterThanOrEqual(1);
      expect(launchConfig({ argv: ['sh'], seccomp: { profile, cacheDir: dir } }).seccomp).toEqual(
        plain.seccomp,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(refuse({ argv: ['sh'], seccomp: { profile, cacheDir: 'cache' } })).toContain(
      'seccomp.cacheDir must be an absolute path, not "cache"',
    );
  });
});

describe('runsSingleThreaded', () => {
  it('reads --single-threaded from the command line or NODE_OPTIONS', () => {
    expect(runsSingleThreaded(['--single-threaded'], '')).toBe(true);
    expect(runsSingleThreaded([], '--max-old-space-size=64 --single-threaded')).toBe(true);
    expect(runsSingleThreaded(['--expose-gc'], '--single-threaded-gc')).toBe(false);
  });
});
