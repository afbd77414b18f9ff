import { syscall as SYS } from '@rootless-ts/constants';
import { check, fn } from './library.js';
import { layout, readField, writeField } from './structs.js';
import { checkedSyscall } from './syscall.js';

// ---- classic mount API --------------------------------------------------------------------------

/** `mount(2)`. Errors carry the target as `path`. */
export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number | bigint,
  data: string | null = null,
): void {
  check(
    fn(
      'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
    )(source, target, fstype, BigInt.asUintN(64, BigInt(flags)), data),
    'mount',
    target,
  );
}

/** `umount2(2)` (MNT_DETACH, MNT_FORCE, UMOUNT_NOFOLLOW…). */
export function umount2(target: string, flags = 0): void {
  check(fn('int umount2(const char *target, int flags)')(target, flags), 'umount2', target);
}

/** `pivot_root(2)` (raw syscall: libc has no wrapper). */
export function pivotRoot(newRoot: string, putOld: string): void {
  checkedSyscall('pivot_root', SYS.SYS_pivot_root, [newRoot, putOld], newRoot, putOld);
}

// ---- new mount API (Linux 5.2+; mount_setattr 5.12+), raw syscalls ------------------------------

/** `open_tree(2)`: OPEN_TREE_CLONE (| AT_RECURSIVE) for a detached copy, | OPEN_TREE_CLOEXEC. */
export function openTree(dirfd: number, path: string, flags: number): number {
  return checkedSyscall('open_tree', SYS.SYS_open_tree, [dirfd, path, flags], path);
}

/** `move_mount(2)`: MOVE_MOUNT_F_EMPTY_PATH to move the mount behind `fromDirfd` itself. */
export function moveMount(
  fromDirfd: number,
  fromPath: string,
  toDirfd: number,
  toPath: string,
  flags: number,
): void {
  checkedSyscall(
    'move_mount',
    SYS.SYS_move_mount,
    [fromDirfd, fromPath, toDirfd, toPath, flags],
    fromPath,
    toPath,
  );
}

export interface MountAttr {
  /** MOUNT_ATTR_* bits to set. */
  attrSet?: number | bigint;
  /** MOUNT_ATTR_* bits to clear. */
  attrClr?: number | bigint;
  /** MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE; 0 leaves propagation alone. */
  propagation?: number | bigint;
  /** With MOUNT_ATTR_IDMAP: a user namespace fd whose mapping the mount takes. */
  usernsFd?: number | bigint;
}

/** `mount_setattr(2)` with struct mount_attr built from the constants' layout. */
export function mountSetattr(dirfd: number, path: string, flags: number, attr: MountAttr): void {
  const l = layout('mount_attr');
  const buf = Buffer.alloc(l.size);
  writeField(buf, l, 'attr_set', attr.attrSet ?? 0);
  writeField(buf, l, 'attr_clr', attr.attrClr ?? 0);
  writeField(buf, l, 'propagation', attr.propagation ?? 0);
  writeField(buf, l, 'userns_fd', attr.usernsFd ?? 0);
  checkedSyscall('mount_setattr', SYS.SYS_mount_setattr, [dirfd, path, flags, buf, l.size], path);
}

/** `fsopen(2)`: a filesystem context for `fsname` (e.g. 'proc', 'tmpfs'). */
export function fsopen(fsname: string, flags = 0): number {
  return checkedSyscall('fsopen', SYS.SYS_fsopen, [fsname, flags], fsname);
}

/** `fsconfig(2)`: FSCONFIG_SET_STRING, FSCONFIG_SET_FLAG, FSCONFIG_CMD_CREATE, … */
export function fsconfig(
  fd: number,
  cmd: number,
  key: string | null = null,
  value: string | Uint8Array | null = null,
  aux = 0,
): void {
  checkedSyscall('fsconfig', SYS.SYS_fsconfig, [fd, cmd, key, value, aux], key ?? undefined);
}

/** `fsmount(2)`: a detached mount from a created context; attach it with moveMount. */
export function fsmount(fsfd: number, flags = 0, attrFlags = 0): number {
  return checkedSyscall('fsmount', SYS.SYS_fsmount, [fsfd, flags, attrFlags]);
}

// ---- statfs -------------------------------------------------------------------------------------

export interface StatFs {
  /** Filesystem magic (PROC_SUPER_MAGIC, TMPFS_MAGIC, …). */
  type: number;
  bsize: number;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
  namelen: number;
  frsize: number;
  /** ST_* mount flags (ST_RDONLY, ST_NOSUID, ST_NODEV, ST_NOEXEC, …): what a bind remount must keep. */
  flags: number;
}

function decodeStatfs(buf: Buffer): StatFs {
  const l = layout('statfs');
  const n = (f: string) => Number(readField(buf, l, f));
  return {
    type: n('f_type'),
    bsize: n('f_bsize'),
    blocks: readField(buf, l, 'f_blocks'),
    bfree: readField(buf, l, 'f_bfree'),
    bavail: readField(buf, l, 'f_bavail'),
    files: readField(buf, l, 'f_files'),
    ffree: readField(buf, l, 'f_ffree'),
    namelen: n('f_namelen'),
    frsize: n('f_frsize'),
    flags: n('f_flags'),
  };
}

/** `statfs(2)`. */
export function statfs(path: string): StatFs {
  const buf = Buffer.alloc(layout('statfs').size);
  check(fn('int statfs(const char *path, void *buf)')(path, buf), 'statfs', path);
  return decodeStatfs(buf);
}

/** `fstatfs(2)`. */
export function fstatfs(fd: number): StatFs {
  const buf = Buffer.alloc(layout('statfs').size);
  check(fn('int fstatfs(int fd, void *buf)')(fd, buf), 'fstatfs');
  return decodeStatfs(buf);
}
