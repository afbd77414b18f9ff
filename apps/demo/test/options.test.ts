import { describe, expect, it } from 'vitest';
import { RootlessError } from '../src/errors.js';
import {
  DEFAULT_MAP_ID,
  parseEnv,
  parseId,
  parseRunRequest,
  parseUserSpec,
  validHostname,
} from '../src/options.js';

const ctx = { cwd: '/home/me', hostEnv: { TERM: 'xterm', HOME: '/home/me' } };

function failure(fn: () => unknown): RootlessError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RootlessError);
    return e as RootlessError;
  }
  throw new Error('expected a RootlessError');
}

describe('parseRunRequest', () => {
  it('gives the defaults: map ids 1100, no root, no tty, no volume', () => {
    expect(parseRunRequest({}, ['sh'], ctx)).toEqual({
      command: ['sh'],
      mapUid: DEFAULT_MAP_ID,
      mapGid: DEFAULT_MAP_ID,
      volumes: [],
      env: [],
      tty: false,
      capAdd: [],
      capDrop: [],
      seccomp: 'default',
    });
  });

  it('resolves --root and volume sources against the working directory', () => {
    const req = parseRunRequest(
      { root: 'alpine', volume: ['./src:/src:rw', '/etc/ssl:/etc/ssl'], workdir: '/src' },
      ['ls', '-l'],
      ctx,
    );
    expect(req.root).toBe('/home/me/alpine');
    expect(req.volumes).toEqual([
      { source: '/home/me/src', target: '/src', readonly: false },
      { source: '/etc/ssl', target: '/etc/ssl', readonly: true },
    ]);
    expect(req.workdir).toBe('/src');
    expect(req.command).toEqual(['ls', '-l']);
  });

  it('takes every option', () => {
    const req = parseRunRequest(
      {
        root: '/r',
        hostname: 'box',
        user: 'alpine:wheel',
        mapUid: '0',
        mapGid: '2000',
        env: ['A=1', 'B=x=y', 'TERM'],
        tty: true,
      },
      ['sh'],
      ctx,
    );
    expect(req).toMatchObject({
      root: '/r',
      hostname: 'box',
      user: { user: 'alpine', group: 'wheel' },
      mapUid: 0,
      mapGid: 2000,
      env: [
        ['A', '1'],
        ['B', 'x=y'],
        ['TERM', 'xterm'],
      ],
      tty: true,
    });
  });

  it('takes relative paths as podman: --root any, a volume host path only with ./ or ../', () => {
    const req = parseRunRequest(
      { root: 'alpine', volume: ['./shared:/a', '../up:/b', '.hidden:/c'] },
      ['sh'],
      ctx,
    );
    expect(req.root).toBe(`${ctx.cwd}/alpine`);
    expect(req.volumes.map((v) => v.source)).toEqual([
      `${ctx.cwd}/shared`,
      '/home/up',
      `${ctx.cwd}/.hidden`,
    ]);
    expect(
      failure(() => parseRunRequest({ root: 'alpine', volume: ['shared:/data'] }, ['sh'], ctx))
        .message,
    ).toBe(
      '--volume shared:/data: "shared" would be a named volume (as in podman), which rootless does not have: for the directory, write ./shared',
    );
  });

  it('accepts -i/--interactive and --rm as podman users type them, with no effect', () => {
    const plain = parseRunRequest({}, ['sh'], ctx);
    expect(parseRunRequest({ interactive: true, rm: true }, ['sh'], ctx)).toEqual(plain);
  });

  it('refuses bad input with one line naming the option', () => {
    expect(failure(() => parseRunRequest({}, [], ctx)).message).toBe('run: no command given');
    expect(failure(() => parseRunRequest({ volume: ['/a:/b'] }, ['sh'], ctx)).message).toMatch(
      /^--volume \/a:\/b: needs --root/,
    );
    expect(
      failure(() => parseRunRequest({ root: '/r', volume: ['nocolon'] }, ['sh'], ctx)).message,
    ).toBe('--volume nocolon: expected HOST:CONTAINER[:ro|rw]');
    expect(
      failure(() => parseRunRequest({ root: '/r', volume: ['/a:/b:rx'] }, ['sh'], ctx)).message,
    ).toMatch(/^--volume \/a:\/b:rx: unknown mode "rx"/);
    expect(failure(() => parseRunRequest({ workdir: 'rel' }, ['sh'], ctx)).message).toMatch(
      /^--workdir/,
    );
    expect(failure(() => parseRunRequest({ hostname: 'a_b' }, ['sh'], ctx)).message).toMatch(
      /^--hostname/,
    );
    expect(failure(() => parseRunRequest({ mapUid: '-1' }, ['sh'], ctx)).message).toMatch(
      /^--map-uid/,
    );
    expect(failure(() => parseRunRequest({ root: '' }, ['sh'], ctx)).message).toMatch(/^--root/);
    for (const e of [failure(() => parseRunRequest({ user: '' }, ['sh'], ctx))])
      expect(e.status).toBe(125);
  });
});

describe('small parsers', () => {
  it('parseId accepts 0..2^32-2 only', () => {
    expect(parseId('--map-uid', '0')).toBe(0);
    expect(parseId('--map-uid', '4294967294')).toBe(4294967294);
    expect(() => parseId('--map-uid', '4294967295')).toThrow(/larger than/);
    expect(() => parseId('--map-uid', '1e3')).toThrow(/not a number/);
    expect(() => parseId('--map-uid', '')).toThrow(/not a number/);
  });

  it('parseUserSpec splits USER[:GROUP]', () => {
    expect(parseUserSpec('alpine')).toEqual({ user: 'alpine' });
    expect(parseUserSpec('1100:0')).toEqual({ user: '1100', group: '0' });
    for (const bad of ['', ':', 'a:', ':b', 'a:b:c'])
      expect(() => parseUserSpec(bad)).toThrow(/USER:GROUP/);
  });

  it('parseEnv keeps order, splits at the first =, takes bare names from the host', () => {
    expect(parseEnv(['A=', 'B==', 'HOME', 'UNSET'], { HOME: '/h' })).toEqual([
      ['A', ''],
      ['B', '='],
      ['HOME', '/h'],
    ]);
    expect(() => parseEnv(['=x'], {})).toThrow(/NAME=VALUE/);
    expect(() => parseEnv(['A B=1'], {})).toThrow(/NAME=VALUE/);
  });

  it('validHostname follows RFC 1123', () => {
    for (const ok of ['box', 'a-b.example', 'x1', 'a'.repeat(63)])
      expect(validHostname(ok)).toBe(true);
    for (const bad of ['', '-a', 'a-', 'a_b', 'a..b', 'a'.repeat(65), 'a b'])
      expect(validHostname(bad)).toBe(false);
  });
});

describe('--cap-add, --cap-drop, --security-opt', () => {
  it('take podman names with or without CAP_, in any case, commas and ALL', () => {
    const req = parseRunRequest(
      { capAdd: ['net_raw,CAP_SYS_PTRACE'], capDrop: ['all'] },
      ['sh'],
      ctx,
    );
    expect(req.capAdd).toEqual(['net_raw,CAP_SYS_PTRACE']);
    expect(req.capDrop).toEqual(['all']);
  });

  it('take seccomp=unconfined, seccomp=FILE (relative to the working directory), no-new-privileges', () => {
    expect(parseRunRequest({ securityOpt: ['seccomp=unconfined'] }, ['sh'], ctx).seccomp).toBe(
      'unconfined',
    );
    expect(
      parseRunRequest({ securityOpt: ['no-new-privileges', 'seccomp=p.json'] }, ['sh'], ctx)
        .seccomp,
    ).toEqual({ file: '/home/me/p.json' });
  });

  it.each([
    [{ capAdd: ['cap_foo'] }, '--cap-add', 'unknown capability "cap_foo"'],
    [{ capDrop: ['chown,'] }, '--cap-drop', 'empty capability name'],
    [{ securityOpt: ['label=disable'] }, '--security-opt', '"label=disable" is not supported'],
    [{ securityOpt: ['seccomp='] }, '--security-opt', 'seccomp= needs unconfined or a profile'],
  ])('refuse %j with one line naming the option', (raw, what, why) => {
    const e = failure(() => parseRunRequest(raw, ['sh'], ctx));
    expect(e.what).toBe(what);
    expect(e.why).toContain(why);
  });
});
