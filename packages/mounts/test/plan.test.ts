import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  type HostProbe,
  MountError,
  type MountOp,
  planHostFiles,
  planRootfs,
} from '../src/index.js';

/** A fake host: these paths exist, as files or directories. */
function fakeHost(entries: Record<string, 'file' | 'dir'>): HostProbe {
  return { kind: (p) => entries[p] ?? 'missing' };
}

const host = fakeHost({
  '/rootfs': 'dir',
  '/etc/resolv.conf': 'file',
  '/etc/hosts': 'file',
  '/srv/data': 'dir',
  '/srv/app.conf': 'file',
  '/srv/sock': 'file',
});

/** What a mount op applies to itself before it is attached: ` [mask a,b; ro c]`. */
function inside(op: MountOp): string {
  if ((op.op !== 'mount' && op.op !== 'bind') || !op.inside) return '';
  return ` [mask ${op.inside.masks.join(',')}; ro ${op.inside.readonly.join(',')}]`;
}

/** One short line per op, to compare whole plans at a glance. */
function brief(op: MountOp): string {
  return briefOp(op) + inside(op);
}

function briefOp(op: MountOp): string {
  switch (op.op) {
    case 'propagation':
      return `propagation ${op.hostPath} ${op.recursive ? 'r' : ''}${op.propagation}`;
    case 'bindRoot':
      return `bindRoot ${op.source}`;
    case 'hostRoot':
      return 'hostRoot';
    case 'overlayRoot':
      return `overlayRoot ${op.lowerdirs.join(':')} upper ${op.upperdir} work ${op.workdir}`;
    case 'bind':
      return `bind${op.recursive ? ' -r' : ''} ${op.source} ${op.target} ${op.readonly ? 'ro' : 'rw'} ${op.create}`;
    case 'mount':
      return `mount ${op.fstype} ${op.target}${op.readonly ? ' ro' : ''}`;
    case 'mkdir':
      return `mkdir ${op.target}`;
    case 'symlink':
      return `symlink ${op.target} -> ${op.linkTo}`;
    case 'file':
      return `file ${op.target}`;
    case 'mask':
      return `mask ${op.target}`;
    case 'remountReadonly':
      return `readonly ${op.target}${op.recursive ? ' -r' : ''}`;
    case 'pivotRoot':
      return 'pivotRoot';
    case 'chdir':
      return `chdir ${op.target}`;
  }
}

/** The defaults below /proc and /sys, as the proc and sys ops carry them (relative). */
const below = (list: readonly string[], top: string) =>
  list.filter((p) => p.startsWith(`${top}/`)).map((p) => p.slice(top.length + 1));
const PROC = `mount proc /proc [mask ${below(DEFAULT_MASKED_PATHS, '/proc').join(',')}; ro ${below(DEFAULT_READONLY_PATHS, '/proc').join(',')}]`;
const SYS_INSIDE = ` [mask ${below(DEFAULT_MASKED_PATHS, '/sys').join(',')}; ro ]`;

describe('planRootfs: the default plan', () => {
  it('without a network namespace binds the host /sys and /etc/hosts', () => {
    expect(planRootfs({ root: '/rootfs' }, host).map(brief)).toEqual([
      'propagation / rslave',
      'bindRoot /rootfs',
      PROC,
      'mount tmpfs /dev',
      'mount devpts /dev/pts',
      'mount tmpfs /dev/shm',
      'bind /dev/null /dev/null rw file',
      'bind /dev/zero /dev/zero rw file',
      'bind /dev/full /dev/full rw file',
      'bind /dev/random /dev/random rw file',
      'bind /dev/urandom /dev/urandom rw file',
      'bind /dev/tty /dev/tty rw file',
      'symlink /dev/fd -> /proc/self/fd',
      'symlink /dev/stdin -> /proc/self/fd/0',
      'symlink /dev/stdout -> /proc/self/fd/1',
      'symlink /dev/stderr -> /proc/self/fd/2',
      'symlink /dev/ptmx -> pts/ptmx',
      `bind -r /sys /sys ro dir${SYS_INSIDE}`,
      'bind /etc/resolv.conf /etc/resolv.conf ro file',
      'bind /etc/hosts /etc/hosts ro file',
      'pivotRoot',
      'chdir /',
    ]);
  });

  it('with network and IPC namespaces mounts sysfs, mqueue, and generates /etc/hosts', () => {
    const ops = planRootfs({ root: '/rootfs', netns: true, ipcns: true, hostname: 'box' }, host);
    const lines = ops.map(brief);
    expect(lines).toContain('mount mqueue /dev/mqueue');
    expect(lines.indexOf('mount mqueue /dev/mqueue')).toBe(
      lines.indexOf('mount tmpfs /dev/shm') + 1,
    );
    expect(lines).toContain(`mount sysfs /sys ro${SYS_INSIDE}`);
    expect(lines.some((l) => l.startsWith('bind -r /sys'))).toBe(false);
    const hosts = ops.find((o) => o.op === 'file' && o.target === '/etc/hosts');
    expect(hosts).toMatchObject({
      content: '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tbox\n',
    });
    expect(ops.find((o) => o.op === 'file' && o.target === '/etc/hostname')).toMatchObject({
      content: 'box\n',
      readonly: false,
    });
  });

  it('mounts /proc, /dev and devpts with the options containers expect', () => {
    const ops = planRootfs({ root: '/rootfs', devptsGid: 5 }, host);
    expect(ops.find((o) => o.op === 'mount' && o.fstype === 'proc')).toMatchObject({
      attrs: ['nosuid', 'nodev', 'noexec'],
    });
    expect(ops.find((o) => o.op === 'mount' && o.fstype === 'devpts')).toMatchObject({
      options: { newinstance: true, ptmxmode: '0666', mode: '0620', gid: '5' },
    });
    expect(ops.find((o) => o.op === 'mount' && o.target === '/dev')).toMatchObject({
      fstype: 'tmpfs',
      attrs: ['nosuid', 'strictatime'],
      options: { mode: '755' },
    });
    // No gid= unless asked: gid 5 is not mapped under a single-id mapping and devpts would fail.
    const plain = planRootfs({ root: '/rootfs' }, host);
    const devpts = plain.find((o) => o.op === 'mount' && o.fstype === 'devpts');
    expect(devpts && 'options' in devpts && 'gid' in devpts.options).toBe(false);
  });

  it('skips host /etc files the host does not have, and honours none and content', () => {
    const bare = fakeHost({ '/rootfs': 'dir' });
    const lines = planRootfs({ root: '/rootfs' }, bare).map(brief);
    expect(lines.filter((l) => l.includes('/etc/'))).toEqual([]);
    const ops = planRootfs(
      { root: '/rootfs', resolvConf: { content: 'nameserver 10.0.2.3\n' }, hosts: 'none' },
      host,
    );
    expect(ops.filter((o) => 'target' in o && o.target.startsWith('/etc/'))).toEqual([
      {
        op: 'file',
        target: '/etc/resolv.conf',
        content: 'nameserver 10.0.2.3\n',
        mode: 0o644,
        readonly: false,
      },
    ]);
  });
});

describe('planRootfs: volumes and tmpfs', () => {
  it('binds volumes ro or rw, files and directories, after the defaults and before masks', () => {
    const ops = planRootfs(
      {
        root: '/rootfs',
        volumes: [
          { source: '/srv/data', target: '/data', readonly: false },
          { source: '/srv/app.conf', target: '/etc/app.conf', readonly: true },
        ],
        tmpfs: [{ target: '/run', size: '16m' }],
      },
      host,
    );
    const lines = ops.map(brief);
    const first = lines.indexOf('bind -r /srv/data /data rw dir');
    expect(first).toBeGreaterThan(lines.indexOf('bind /etc/hosts /etc/hosts ro file'));
    expect(lines.slice(first, first + 3)).toEqual([
      'bind -r /srv/data /data rw dir',
      'mount tmpfs /run',
      'bind -r /srv/app.conf /etc/app.conf ro file',
    ]);
    expect(lines[first + 3]).toBe('pivotRoot');
    expect(ops.find((o) => o.op === 'mount' && o.target === '/run')).toMatchObject({
      options: { mode: '1777', size: '16m' },
      attrs: ['nosuid', 'nodev'],
    });
  });

  it('mounts parents before children whatever the order given', () => {
    const ops = planRootfs(
      {
        root: '/rootfs',
        volumes: [
          { source: '/srv/app.conf', target: '/data/sub/app.conf', readonly: true },
          { source: '/srv/data', target: '/data', readonly: true },
        ],
      },
      host,
    );
    const targets = ops.filter((o) => o.op === 'bind' && o.source.startsWith('/srv'));
    expect(targets.map((o) => (o.op === 'bind' ? o.target : ''))).toEqual([
      '/data',
      '/data/sub/app.conf',
    ]);
  });

  it('lets a volume replace a default file such as /etc/resolv.conf', () => {
    const ops = planRootfs(
      {
        root: '/rootfs',
        volumes: [{ source: '/srv/app.conf', target: '/etc/resolv.conf', readonly: true }],
      },
      host,
    );
    const resolv = ops.filter((o) => 'target' in o && o.target === '/etc/resolv.conf');
    expect(resolv).toEqual([
      {
        op: 'bind',
        source: '/srv/app.conf',
        target: '/etc/resolv.conf',
        recursive: true,
        readonly: true,
        create: 'file',
      },
    ]);
  });

  it('treats a socket or device source as a file target', () => {
    const probe: HostProbe = { kind: (p) => (p === '/run/x.sock' ? 'other' : host.kind(p)) };
    const ops = planRootfs(
      { root: '/rootfs', volumes: [{ source: '/run/x.sock', target: '/x.sock', readonly: false }] },
      probe,
    );
    expect(ops.find((o) => o.op === 'bind' && o.target === '/x.sock')).toMatchObject({
      create: 'file',
    });
  });

  it.each([
    [{ source: '/nope', target: '/data', readonly: true }, 'volume source /nope does not exist'],
    [{ source: 'rel', target: '/data', readonly: true }, 'volume source "rel" must be absolute'],
    [{ source: '/srv/data', target: 'data', readonly: true }, 'must be absolute'],
    [{ source: '/srv/data', target: '/a/../../b', readonly: true }, "must not contain '..'"],
    [{ source: '/srv/data', target: '/', readonly: true }, "cannot mount over the container's /"],
  ])('refuses a bad volume %j', (volume, why) => {
    expect(() => planRootfs({ root: '/rootfs', volumes: [volume] }, host)).toThrow(why);
  });

  it('refuses two mounts on one target', () => {
    expect(() =>
      planRootfs(
        {
          root: '/rootfs',
          volumes: [{ source: '/srv/data', target: '/data', readonly: true }],
          tmpfs: [{ target: '/data/' }],
        },
        host,
      ),
    ).toThrow('two mounts target /data');
  });
});

describe('planRootfs: root, masks, read-only paths', () => {
  it('makes the root read-only last, before pivot_root, only the root mount', () => {
    const lines = planRootfs({ root: '/rootfs', readonlyRoot: true, workdir: '/work' }, host).map(
      brief,
    );
    expect(lines.slice(-5)).toEqual([
      'bind /etc/hosts /etc/hosts ro file',
      'mkdir /work',
      'readonly /',
      'pivotRoot',
      'chdir /work',
    ]);
  });

  it('masks and protects runc defaults, or the lists given', () => {
    const lines = planRootfs(
      { root: '/rootfs', maskedPaths: ['/proc/kcore', '/secret/'], readonlyPaths: ['/proc/sys'] },
      host,
    ).map(brief);
    // Below /proc: applied to the proc mount itself; elsewhere in the image: ops of their own.
    expect(lines).toContain('mount proc /proc [mask kcore; ro sys]');
    expect(lines).toContain('bind -r /sys /sys ro dir [mask ; ro ]');
    expect(lines.filter((l) => l.startsWith('mask') || l.startsWith('readonly'))).toEqual([
      'mask /secret',
    ]);
    expect(DEFAULT_MASKED_PATHS).toEqual(
      expect.arrayContaining([
        '/proc/kcore',
        '/proc/keys',
        '/proc/timer_list',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/acpi',
      ]),
    );
    expect(DEFAULT_READONLY_PATHS).toEqual(
      expect.arrayContaining(['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus']),
    );
  });

  it('gives a mask to the deepest mount the plan makes above it: proc, sys, a volume, a tmpfs', () => {
    const ops = planRootfs(
      {
        root: '/rootfs',
        volumes: [{ source: '/srv/data', target: '/data', readonly: false }],
        tmpfs: [{ target: '/data/cache' }],
        maskedPaths: ['/data/secret', '/data/cache/key', '/proc/keys', '/sys/firmware', '/etc/x'],
        readonlyPaths: ['/data/ro', '/proc/sys'],
      },
      host,
    );
    const lines = ops.map(brief);
    expect(lines).toContain('bind -r /srv/data /data rw dir [mask secret; ro ro]');
    expect(lines).toContain('mount tmpfs /data/cache [mask key; ro ]');
    expect(lines).toContain('mount proc /proc [mask keys; ro sys]');
    expect(lines).toContain('bind -r /sys /sys ro dir [mask firmware; ro ]');
    expect(lines.filter((l) => l.startsWith('mask'))).toEqual(['mask /etc/x']);
    // A file bind has nothing below it; a volume over /proc (mounted on top) takes its masks.
    const replaced = planRootfs(
      { root: '/rootfs', volumes: [{ source: '/srv/data', target: '/proc', readonly: true }] },
      host,
    ).map(brief);
    expect(replaced.filter((l) => / \/proc( |$)/.test(l))).toEqual([
      'mount proc /proc [mask ; ro ]',
      PROC.replace('mount proc /proc', 'bind -r /srv/data /proc ro dir'),
    ]);
  });

  it('makes an overlay root from layers, checked like a root directory', () => {
    const layered = fakeHost({
      '/l1': 'dir',
      '/l2': 'dir',
      '/up': 'dir',
      '/wk': 'dir',
      '/f': 'file',
    });
    const overlay = (o: Partial<{ lowerdirs: string[]; upperdir: string; workdir: string }>) =>
      planRootfs(
        { root: { overlay: { lowerdirs: ['/l1', '/l2'], upperdir: '/up', workdir: '/wk', ...o } } },
        layered,
      );
    const lines = overlay({}).map(brief);
    expect(lines.slice(0, 3)).toEqual([
      'propagation / rslave',
      'overlayRoot /l1:/l2 upper /up work /wk',
      PROC,
    ]);
    expect(lines.at(-2)).toBe('pivotRoot');
    expect(() => overlay({ lowerdirs: [] })).toThrow('overlay root: no lowerdirs');
    expect(() => overlay({ lowerdirs: ['/l1', '/nope'] })).toThrow(
      'overlay lowerdir /nope does not exist',
    );
    expect(() => overlay({ upperdir: '/f' })).toThrow('overlay upperdir /f is not a directory');
    expect(() => overlay({ workdir: 'wk' })).toThrow(
      'overlay workdir "wk" must be an absolute path',
    );
    expect(() => overlay({ workdir: '/up' })).toThrow('overlay upperdir and workdir must differ');
  });

  it('uses private propagation when asked', () => {
    expect(planRootfs({ root: '/rootfs', propagation: 'private' }, host)[0]).toEqual({
      op: 'propagation',
      hostPath: '/',
      propagation: 'private',
      recursive: true,
    });
  });

  it.each([
    ['rootfs', 'root "rootfs" must be an absolute path'],
    ['/missing', 'root /missing does not exist'],
    ['/srv/app.conf', 'root /srv/app.conf is not a directory'],
  ])('refuses root %s', (root, why) => {
    let err: unknown;
    try {
      planRootfs({ root }, host);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MountError);
    expect((err as MountError).message).toBe(why);
    expect((err as MountError).path).toBe(root);
  });

  it('is plain data (JSON round-trips)', () => {
    const ops = planRootfs({ root: '/rootfs', hostname: 'h', netns: true }, host);
    expect(JSON.parse(JSON.stringify(ops))).toEqual(ops);
  });
});

describe('planHostFiles: a container keeping the host files', () => {
  it('mounts a masked proc on /proc and on each extra target, before volumes inside them', () => {
    const lines = planHostFiles(
      {
        procMounts: ['/home/me/debian/proc'],
        volumes: [{ source: '/srv/app.conf', target: '/home/me/debian/dev/null', readonly: false }],
        devpts: true,
      },
      host,
    ).map(brief);
    expect(lines).toEqual([
      'propagation / rslave',
      'hostRoot',
      PROC,
      'mount devpts /dev/pts',
      PROC.replace('/proc', '/home/me/debian/proc'),
      'bind -r /srv/app.conf /home/me/debian/dev/null rw file',
      ...below(DEFAULT_MASKED_PATHS, '/sys').map((p) => `mask /sys/${p}`),
    ]);
  });

  it('refuses two mounts on one target and relative paths', () => {
    expect(() => planHostFiles({ procMounts: ['/proc'] }, host)).toThrow('two mounts target /proc');
    expect(() => planHostFiles({ procMounts: ['chroot/proc'] }, host)).toThrow('must be absolute');
  });
});
