/**
 * The constants this package uses, gathered once. Everything that touches the kernel goes
 * through @rootless-ts/libc; this module only names the bits.
 */
import { fcntl as F, mount as M, resolve as R, statvfs as ST } from '@rootless-ts/constants';
import type { MountAttr, Propagation } from './types.js';

export { F, M, R, ST };

/** openat2 resolution for every container target: `/` is the root, no magic links. */
export const IN_ROOT = R.RESOLVE_IN_ROOT | R.RESOLVE_NO_MAGICLINKS;

export const O_PATH_CLOEXEC = F.O_PATH | F.O_CLOEXEC;

/** MOUNT_ATTR_* bits of the plan's attribute names. */
export function mountAttrBits(attrs: readonly MountAttr[], readonly: boolean): number {
  let bits = readonly ? M.MOUNT_ATTR_RDONLY : 0;
  for (const a of attrs) {
    switch (a) {
      case 'nosuid':
        bits |= M.MOUNT_ATTR_NOSUID;
        break;
      case 'nodev':
        bits |= M.MOUNT_ATTR_NODEV;
        break;
      case 'noexec':
        bits |= M.MOUNT_ATTR_NOEXEC;
        break;
      case 'noatime':
        bits |= M.MOUNT_ATTR_NOATIME;
        break;
      case 'strictatime':
        bits |= M.MOUNT_ATTR_STRICTATIME;
        break;
      case 'nodiratime':
        bits |= M.MOUNT_ATTR_NODIRATIME;
        break;
    }
  }
  return bits;
}

/** MS_* propagation flag of a propagation name. */
export function propagationFlag(p: Propagation): number {
  switch (p) {
    case 'private':
      return M.MS_PRIVATE;
    case 'slave':
      return M.MS_SLAVE;
    case 'shared':
      return M.MS_SHARED;
    case 'unbindable':
      return M.MS_UNBINDABLE;
  }
}

/**
 * The MS_* flags a bind remount must repeat to keep what statfs reports (ST_* bits). In a user
 * namespace the kernel locks nosuid, nodev, noexec and the atime mode of mounts it inherited,
 * and a remount that would clear them fails with EPERM.
 */
export function lockedMsFlags(stFlags: number): number {
  let ms = 0;
  if (stFlags & ST.ST_NOSUID) ms |= M.MS_NOSUID;
  if (stFlags & ST.ST_NODEV) ms |= M.MS_NODEV;
  if (stFlags & ST.ST_NOEXEC) ms |= M.MS_NOEXEC;
  if (stFlags & ST.ST_NOATIME) ms |= M.MS_NOATIME;
  if (stFlags & ST.ST_NODIRATIME) ms |= M.MS_NODIRATIME;
  if (stFlags & ST.ST_RELATIME) ms |= M.MS_RELATIME;
  // Neither noatime nor relatime: the mount uses strictatime, which must be asked for explicitly
  // (a remount without an atime flag means relatime).
  if (!(stFlags & (ST.ST_NOATIME | ST.ST_RELATIME))) ms |= M.MS_STRICTATIME;
  return ms;
}

/**
 * openat2 resolution for the targets of mounts that carry masks (proc, sys): inside the root
 * and through no symlink at all, so the mount lands on the real directory with that path.
 */
export const IN_ROOT_NO_SYMLINKS = IN_ROOT | R.RESOLVE_NO_SYMLINKS;

/** openat2 resolution below a mount's own root (masks and read-only paths of a new mount). */
export const BENEATH_NO_SYMLINKS =
  R.RESOLVE_BENEATH | R.RESOLVE_NO_SYMLINKS | R.RESOLVE_NO_MAGICLINKS;
