import { computeIdMap, singleIdMap } from '@rootless-ts/idmap';
import { type HostProbe, planHostFiles } from '@rootless-ts/mounts';
import { describe, expect, it } from 'vitest';
import { parseRunRequest } from '../src/options.js';
import { type HostFacts, mappedIds, planRun } from '../src/planner.js';
import { appletLinks } from '../src/rootfs.js';
import { readUserDb } from '../src/users.js';

const fixtureRoot = new URL('./fixtures/root', import.meta.url).pathname;
const ranges = [{ start: 100000, count: 65536 }];
const subordinate: HostFacts['idmap'] = {
  mode: 'subordinate',
  uidMap: computeIdMap({ hostId: 1001, ranges }),
  gidMap: computeIdMap({ hostId: 1001, ranges }),
};
const single: HostFacts['idmap'] = {
  mode: 'single',
  uidMap: singleIdMap(1001),
  gidMap: singleIdMap(1001),
};
// Every host path exists and is a directory, except those named "missing".
const probe: HostProbe = { kind: (p) => (p.includes('missing') ? 'missing' : 'dir') };

function facts(over: Partial<HostFacts> = {}): HostFacts {
  return {
    idmap: subordinate,
    userDb: readUserDb(fixtureRoot),
    hostname: 'host',
    term: 'xterm',
    isDir: (p) => p === '/home/alpine' || p === '/',
    hookModule: '/opt/demo/dist/hook.js',
    probe,
    lastCap: 40,
    ...over,
  };
}

const request = (raw: Parameters<typeof parseRunRequest>[0], command = ['sh']) =>
  parseRunRequest(raw, command, { cwd: '/w', hostEnv: {} });

describe('planRun', () => {
  it('without --root: host files, a masked /proc of its own, the mapped user 1100, its home', () => {
    const plan = planRun(request({ hostname: 'box' }, ['id']), facts());
    expect(plan.spawn).toEqual({
      argv: ['id'],
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        HOSTNAME: 'box',
        TERM: 'xterm',
        HOME: '/home/alpine',
      },
      cwd: '/home/alpine',
      namespaces: ['user', 'mnt', 'pid', 'uts', 'ipc'],
      uid: 1100,
      gid: 1100,
      groups: [1100, 10, 29],
      setup: [{ module: '/opt/demo/dist/hook.js', config: { mounts: planHostFiles({}, probe) } }],
      hostname: 'box',
      newSession: true,
      capabilities: expect.objectContaining({ ambient: 0n, effective: 0n }),
      seccomp: 'unconfined',
    });
    // The host's root stays, with a masked proc of the container's own over /proc.
    const ops = plan.hook.mounts!;
    expect(ops.slice(0, 3)).toMatchObject([
      { op: 'propagation', hostPath: '/', propagation: 'slave' },
      { op: 'hostRoot' },
      { op: 'mount', fstype: 'proc', target: '/proc' },
    ]);
    expect(ops.map((o) => o.op)).not.toContain('pivotRoot');
  });

  it('without --root, -t: a devpts of its own; a request may add procs and binds on host paths', () => {
    const plan = planRun(request({ tty: true }), facts());
    expect(plan.hook.mounts).toContainEqual(
      expect.objectContaining({ op: 'mount', fstype: 'devpts', target: '/dev/pts' }),
    );
    const req = {
      ...request({}),
      procMounts: ['/srv/chroot/proc'],
      volumes: [{ source: '/dev/null', target: '/srv/chroot/dev/null', readonly: false }],
    };
    const ops = planRun(req, facts({ probe: { kind: () => 'file' } })).hook.mounts!;
    expect(ops).toContainEqual(
      expect.objectContaining({ op: 'mount', fstype: 'proc', target: '/srv/chroot/proc' }),
    );
    expect(ops).toContainEqual({
      op: 'bind',
      source: '/dev/null',
      target: '/srv/chroot/dev/null',
      recursive: true,
      readonly: false,
      create: 'file',
    });
  });

  it('with --root: the mount plan with volumes and workdir, ending in pivot_root', () => {
    const plan = planRun(
      request({ root: '/srv/bb', volume: ['/data:/data:rw'], workdir: '/data', user: 'root' }),
      facts(),
    );
    const ops = plan.hook.mounts!;
    expect(ops[0]).toMatchObject({ op: 'propagation', propagation: 'slave' });
    expect(ops[1]).toEqual({ op: 'bindRoot', source: '/srv/bb' });
    expect(ops).toContainEqual({
      op: 'bind',
      source: '/data',
      target: '/data',
      recursive: true,
      readonly: false,
      create: 'dir',
    });
    expect(ops.map((o) => o.op).slice(-2)).toEqual(['pivotRoot', 'chdir']);
    expect(plan.spawn).toMatchObject({ uid: 0, gid: 0, groups: [0, 10], cwd: '/data' });
    expect(plan.spawn.env!.HOME).toBe('/root');
    // HOSTNAME is the host's copy when --hostname is not given.
    expect(plan.spawn.env!.HOSTNAME).toBe('host');
    expect(plan.spawn.hostname).toBeUndefined();
  });

  it('an image with an overlay root: the upper directory is owned like the top layer before anything is mounted', () => {
    const req = request({ root: '/store/containers/c/merged', user: 'root' });
    req.image = {
      layers: ['/store/layers/a/diff', '/store/layers/b/diff'],
      overlay: {
        lowerdirs: ['/store/layers/b/diff', '/store/layers/a/diff'],
        upperdir: '/store/containers/c/upper',
        workdir: '/store/containers/c/work',
        upperOwnerLike: '/store/layers/b/diff',
      },
    };
    const plan = planRun(req, facts());
    expect(plan.hook.ownLike).toEqual([
      { path: '/store/containers/c/upper', like: '/store/layers/b/diff' },
    ]);
    expect(plan.hook.mounts?.find((m) => m.op === 'overlayRoot')).toMatchObject({
      upperdir: '/store/containers/c/upper',
    });
    // Without upperOwnerLike (the store owned it already) nothing is chowned.
    delete req.image.overlay!.upperOwnerLike;
    expect(planRun(req, facts()).hook.ownLike).toBeUndefined();
  });

  it('a home that does not exist gives / as working directory', () => {
    const plan = planRun(request({ user: 'root' }), facts());
    expect(plan.spawn.cwd).toBe('/');
  });

  it('-t: a pty for the final user, session leader with it as controlling terminal', () => {
    const plan = planRun(
      request({ tty: true, user: 'alpine' }),
      facts({ winsize: { rows: 30, cols: 100 } }),
    );
    expect(plan.hook.tty).toEqual({ uid: 1100, gid: 1100, rows: 30, cols: 100 });
    expect(plan.spawn).toMatchObject({ newSession: true, controllingTerminal: 0 });
  });

  it('the single mapping: root inside, no supplementary groups, other ids refused', () => {
    expect(mappedIds({ mapUid: 1100, mapGid: 1100 }, 'single')).toEqual({ uid: 0, gid: 0 });
    const plan = planRun(request({}), facts({ idmap: single }));
    expect(plan.spawn).toMatchObject({ uid: 0, gid: 0, groups: [] });
    expect(() => planRun(request({ user: 'alpine' }), facts({ idmap: single }))).toThrow(
      '--user: uid 1100 is not mapped in the container (mapped uids: 0)',
    );
  });

  it('--map-uid moves the default user; unmapped ids are refused', () => {
    const uidMap = computeIdMap({ hostId: 1001, containerId: 0, ranges });
    const plan = planRun(
      request({ mapUid: '0', mapGid: '0' }),
      facts({ idmap: { mode: 'subordinate', uidMap, gidMap: uidMap } }),
    );
    expect(plan.spawn).toMatchObject({ uid: 0, gid: 0 });
    expect(() => planRun(request({ user: '70000' }), facts())).toThrow(
      /^--user: uid 70000 is not mapped in the container/,
    );
  });

  it('plan errors name the option: missing root, missing volume source', () => {
    expect(() => planRun(request({ root: '/missing' }), facts())).toThrow(
      /^--root: root \/missing does not exist$/,
    );
    expect(() => planRun(request({ root: '/r', volume: ['/missing:/x'] }), facts())).toThrow(
      '--volume /missing:/x:ro: volume source /missing does not exist',
    );
  });

  it('unknown --user fails before anything runs', () => {
    expect(() => planRun(request({ user: 'ghost' }), facts())).toThrow(/^--user: no user "ghost"/);
  });
});

describe('appletLinks', () => {
  it('links every applet to /bin/busybox with a relative path', () => {
    expect(appletLinks('/bin/ls\nusr/bin/env\n/usr/sbin/chroot\nbin/busybox\n\n')).toEqual([
      { path: 'bin/ls', linkTo: 'busybox' },
      { path: 'usr/bin/env', linkTo: '../../bin/busybox' },
      { path: 'usr/sbin/chroot', linkTo: '../../bin/busybox' },
    ]);
  });
});

describe('capabilities and seccomp in the plan', () => {
  const profile = { defaultAction: 'SCMP_ACT_ALLOW' } as never;

  it("gives root inside rootless-ts's default set, as bounding, effective and permitted", () => {
    const plan = planRun(request({ user: '0' }), facts({ seccompProfile: profile }));
    const caps = plan.spawn.capabilities as {
      bounding: bigint;
      effective: bigint;
      ambient: bigint;
    };
    // podman's 11 and CAP_SYS_ADMIN.
    expect(caps.bounding).toBe(0x802425fbn & ~(1n << 13n));
    expect(caps.effective).toBe(caps.bounding);
    expect(caps.ambient).toBe(0n);
    expect(plan.spawn.seccomp).toEqual({ profile });
    expect(plan.spawn.newSession).toBe(true);
  });

  it('gives another user only what --cap-add names, as ambient; unconfined without a profile', () => {
    const plan = planRun(request({ capAdd: ['net_raw'], capDrop: ['chown'] }), facts());
    const caps = plan.spawn.capabilities as { bounding: bigint; ambient: bigint };
    expect(caps.ambient).toBe(1n << 13n);
    expect(caps.bounding & 1n).toBe(0n);
    expect(plan.spawn.seccomp).toBe('unconfined');
  });

  it('refuses a capability both added and dropped, with one line', () => {
    expect(() => planRun(request({ capAdd: ['kill'], capDrop: ['KILL'] }), facts())).toThrow(
      'capability CAP_KILL cannot be both added (--cap-add) and dropped (--cap-drop)',
    );
  });
});
