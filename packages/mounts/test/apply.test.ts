import { describe, expect, it } from 'vitest';
import { applyPlan, MountError, type MountOp } from '../src/index.js';
import { FakeSyscalls } from './helpers/fake-syscalls.js';

// applyPlan against a recording fake of its system calls: the exact order of calls for a
// typical plan, what a failure at any point undoes, and the fallback for kernels that cannot
// mount onto a detached tree. Plain user, no kernel features needed.

/** A root with /proc but no /data or /etc/hostname; a proc that has keys, acpi and sys. */
function fake(): FakeSyscalls {
  return new FakeSyscalls({
    '/rootfs': 'dir',
    '/rootfs/proc': 'dir',
    '/rootfs/etc': 'dir',
    '/rootfs/etc/secret': 'file',
    '/srv/data': 'dir',
    '/dev/null': 'file',
    proc: 'dir',
    'proc/keys': 'file',
    'proc/acpi': 'dir',
    'proc/sys': 'dir',
  });
}

const PLAN: MountOp[] = [
  { op: 'propagation', hostPath: '/', propagation: 'slave', recursive: true },
  { op: 'bindRoot', source: '/rootfs' },
  {
    op: 'mount',
    fstype: 'proc',
    source: 'proc',
    target: '/proc',
    readonly: false,
    attrs: ['nosuid', 'nodev', 'noexec'],
    options: {},
    inside: { masks: ['keys', 'acpi', 'missing'], readonly: ['sys'] },
  },
  {
    op: 'bind',
    source: '/srv/data',
    target: '/data',
    recursive: true,
    readonly: true,
    create: 'dir',
  },
  { op: 'file', target: '/etc/hostname', content: 'box\n', mode: 0o644, readonly: false },
  { op: 'mask', target: '/etc/secret' },
  { op: 'remountReadonly', target: '/', recursive: false, ifExists: false },
  { op: 'pivotRoot' },
  { op: 'chdir', target: '/' },
];

describe('applyPlan with a recording fake of the system calls', () => {
  it('makes exactly these calls, in this order, for a typical plan', () => {
    const sys = fake();
    applyPlan(PLAN, { syscalls: sys });
    expect(sys.log).toEqual([
      'mount /',
      // bindRoot: the root bound onto itself, reopened; then the volume's source cloned early.
      'open_tree /rootfs',
      'open /rootfs',
      'move_mount clone /rootfs -> /rootfs',
      'open /rootfs',
      'open_tree /srv/data',
      // proc: target resolved once (no symlinks), masks and read-only paths on the detached
      // tree through its descriptor, then attached.
      'fsopen proc',
      'fsmount proc',
      'openat2 /rootfs/proc',
      'openat2 proc/keys',
      'open_tree /dev/null',
      'move_mount clone /dev/null -> proc/keys',
      'openat2 proc/acpi',
      'fsopen tmpfs',
      'fsmount tmpfs',
      'move_mount tmpfs -> proc/acpi',
      'openat2 proc/missing',
      'openat2 proc/sys',
      'open_tree proc/sys',
      'mount_setattr clone proc/sys',
      'move_mount clone proc/sys -> proc/sys',
      'move_mount proc -> /rootfs/proc',
      // The volume: read-only while detached, its missing target created, attached.
      'mount_setattr clone /srv/data',
      'openat2 /rootfs/data',
      'openat2 /rootfs',
      'mkdir /rootfs/data',
      'openat2 /rootfs/data',
      'move_mount clone /srv/data -> /rootfs/data',
      // The generated file: a private tmpfs, the file cloned out of it, bound onto a new file.
      'fsopen tmpfs',
      'fsmount tmpfs',
      'openat tmpfs/data',
      'open_tree tmpfs/data',
      'openat2 /rootfs/etc/hostname',
      'openat2 /rootfs/etc',
      'create /rootfs/etc/hostname',
      'openat2 /rootfs/etc/hostname',
      'move_mount clone tmpfs/data -> /rootfs/etc/hostname',
      'openat2 /rootfs/etc/secret',
      'open_tree /dev/null',
      'move_mount clone /dev/null -> /rootfs/etc/secret',
      'mount_setattr /rootfs',
      'fchdir /rootfs',
      'pivot_root',
      'umount2 .',
      'chdir /',
      'open /',
      'openat2 /rootfs',
      'fchdir /rootfs',
    ]);
    expect(sys.openFds()).toEqual([]);
    // On success the created mount points stay.
    expect(sys.exists('/rootfs/data')).toBe(true);
    expect(sys.exists('/rootfs/etc/hostname')).toBe(true);
  });

  /** Every call of the typical plan at which a failure can be injected. */
  const calls = (() => {
    const sys = fake();
    applyPlan(PLAN, { syscalls: sys });
    // A missing mask is skipped, and the early clone of a volume's source is only an
    // optimisation (the bind op clones again, below): failures there are not failures.
    return [...new Set(sys.log)].filter(
      (c) => c !== 'openat2 proc/missing' && c !== 'open_tree /srv/data',
    );
  })();

  it.each(calls)('a failure at "%s" removes what was created, newest first', (call) => {
    const sys = fake().fail(call, 'EPERM');
    let error: unknown;
    try {
      applyPlan(PLAN, { syscalls: sys });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MountError);
    expect((error as MountError).code).toBe('EPERM');
    const at = sys.log.indexOf(call);
    const created = sys.log
      .slice(0, at)
      .filter((l) => /^(mkdir|create) \//.test(l))
      .map((l) => l.split(' ')[1]);
    // The undos of what ran before, in reverse: each created entry removed, newest first.
    const removed = sys.log
      .slice(at + 1)
      .filter((l) => /^(rmdir|unlink) /.test(l))
      .map((l) => l.split(' ')[1]);
    expect(removed).toEqual(created.reverse());
    for (const path of created) expect(sys.exists(path!)).toBe(false);
    expect(sys.exists('/rootfs/etc/secret')).toBe(true);
    expect(sys.openFds()).toEqual([]);
  });

  it('names the op and path that failed', () => {
    const sys = fake().fail('move_mount clone tmpfs/data -> /rootfs/etc/hostname', 'EACCES');
    expect(() => applyPlan(PLAN, { syscalls: sys })).toThrow(
      expect.objectContaining({ op: 'file', path: '/etc/hostname', code: 'EACCES' }),
    );
  });

  it("undo() removes the created entries after the caller's own next step failed", () => {
    const sys = fake();
    const applied = applyPlan(PLAN, { syscalls: sys });
    const before = sys.log.length;
    applied.undo();
    applied.undo();
    expect(sys.log.slice(before).filter((l) => /^(rmdir|unlink) /.test(l))).toEqual([
      'unlink /rootfs/etc/hostname',
      'rmdir /rootfs/data',
    ]);
    expect(sys.openFds()).toEqual([]);
  });

  it('attaches first, then masks through the same descriptor, where the kernel refuses to mount onto a detached tree', () => {
    const sys = fake().fail('move_mount clone /dev/null -> proc/keys', 'EINVAL');
    applyPlan(PLAN, { syscalls: sys });
    const attachProc = sys.log.indexOf('move_mount proc -> /rootfs/proc');
    const keys = sys.log.lastIndexOf('move_mount clone /dev/null -> proc/keys');
    expect(attachProc).toBeGreaterThan(sys.log.indexOf('move_mount clone /dev/null -> proc/keys'));
    expect(keys).toBeGreaterThan(attachProc);
    expect(sys.log.filter((l) => l === 'move_mount proc -> /rootfs/proc')).toHaveLength(1);
    expect(sys.log.indexOf('move_mount clone proc/sys -> proc/sys')).toBeGreaterThan(keys);
    expect(sys.openFds()).toEqual([]);
  });

  it("clones a volume's source again when its early clone failed", () => {
    const sys = fake().fail('open_tree /srv/data', 'ENOMEM');
    applyPlan(PLAN, { syscalls: sys });
    expect(sys.log.filter((l) => l === 'open_tree /srv/data')).toHaveLength(2);
    expect(sys.log).toContain('move_mount clone /srv/data -> /rootfs/data');
    expect(sys.openFds()).toEqual([]);
  });

  it('mounts an overlay root over its upperdir, then resolves every target inside it', () => {
    const sys = new FakeSyscalls({ '/l:1': 'dir', '/up': 'dir', '/up/proc': 'dir', proc: 'dir' });
    applyPlan(
      [
        { op: 'overlayRoot', lowerdirs: ['/l:1', '/l2'], upperdir: '/up', workdir: '/wk' },
        { ...(PLAN[2] as MountOp & { op: 'mount' }), inside: { masks: [], readonly: [] } },
        { op: 'pivotRoot' },
      ],
      { syscalls: sys },
    );
    expect(sys.log).toEqual([
      'fsopen overlay',
      'fsmount overlay',
      'open /up',
      'move_mount overlay -> /up',
      'open /up',
      'fsopen proc',
      'fsmount proc',
      'openat2 /up/proc',
      'move_mount proc -> /up/proc',
      'fchdir /up',
      'pivot_root',
      'umount2 .',
      'chdir /',
      'open /',
    ]);
    // A ':' in a layer's path is escaped, as overlayfs reads the list.
    expect(sys.fsOptions.get('overlay')).toEqual({
      source: 'overlay',
      lowerdir: '/l\\:1:/l2',
      upperdir: '/up',
      workdir: '/wk',
      userxattr: true,
    });
    expect(sys.openFds()).toEqual([]);
  });

  it("gives layers that do not fit in fsconfig's 255 bytes as one lowerdir+ each", () => {
    const layers = ['a', 'b', 'c'].map((n) => `/store/layers/sha256/${n.repeat(64)}/diff`);
    const sys = new FakeSyscalls({ '/up': 'dir' });
    applyPlan(
      [
        { op: 'overlayRoot', lowerdirs: layers, upperdir: '/up', workdir: '/wk' },
        { op: 'pivotRoot' },
      ],
      { syscalls: sys },
    );
    expect(sys.fsOptions.get('overlay')).toEqual({
      source: 'overlay',
      'lowerdir+': layers,
      upperdir: '/up',
      workdir: '/wk',
      userxattr: true,
    });
  });

  it('fails on a mask that cannot be applied, naming it', () => {
    const sys = fake().fail('move_mount tmpfs -> proc/acpi', 'EPERM');
    expect(() => applyPlan(PLAN, { syscalls: sys })).toThrow(
      expect.objectContaining({ op: 'mask', path: '/proc/acpi', code: 'EPERM' }),
    );
    expect(sys.openFds()).toEqual([]);
  });
});
