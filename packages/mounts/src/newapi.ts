import { F, M } from './sys.js';
import type { MountSyscalls } from './syscalls.js';

/**
 * Small helpers over the new mount API (open_tree, move_mount, mount_setattr, fsopen/fsmount).
 * Mounts are built detached, configured, then attached onto a descriptor: no path is looked up
 * again between checking a target and mounting on it. Each takes the system calls to use.
 */

/** A detached copy of the mount tree at `path` (relative to dirfd; '' with AT_EMPTY_PATH for dirfd itself). */
export function cloneTree(
  sys: MountSyscalls,
  dirfd: number,
  path: string,
  recursive: boolean,
): number {
  const flags =
    M.OPEN_TREE_CLONE |
    M.OPEN_TREE_CLOEXEC |
    (recursive ? M.AT_RECURSIVE : 0) |
    (path === '' ? F.AT_EMPTY_PATH : 0);
  return sys.openTree(dirfd, path, flags);
}

/** Sets MOUNT_ATTR_* bits on the mount (tree) behind fd; nothing else changes. */
export function setAttrs(
  sys: MountSyscalls,
  fd: number,
  attrSet: number,
  recursive: boolean,
): void {
  if (attrSet === 0) return;
  sys.mountSetattr(fd, '', F.AT_EMPTY_PATH | (recursive ? M.AT_RECURSIVE : 0), { attrSet });
}

/** Attaches the detached mount `mountFd` onto the file or directory behind `targetFd`. */
export function attach(sys: MountSyscalls, mountFd: number, targetFd: number): void {
  sys.moveMount(mountFd, '', targetFd, '', M.MOVE_MOUNT_F_EMPTY_PATH | M.MOVE_MOUNT_T_EMPTY_PATH);
}

/** The messages a filesystem context logged (fsconfig's error details), if any. */
function contextLog(sys: MountSyscalls, fsfd: number): string {
  const lines: string[] = [];
  const buf = Buffer.alloc(1024);
  for (let i = 0; i < 16; i++) {
    let n: number;
    try {
      n = sys.read(fsfd, buf);
    } catch {
      break;
    }
    if (n <= 0) break;
    lines.push(buf.toString('utf8', 0, n).replace(/^[ewi] /, ''));
  }
  return lines.join('; ');
}

/** A detached mount of a new filesystem instance, with options and mount attributes. */
export function newFilesystem(
  sys: MountSyscalls,
  fstype: string,
  options: Readonly<Record<string, string | true | readonly string[]>>,
  attrs: number,
  source = fstype,
): number {
  const fsfd = sys.fsopen(fstype, M.FSOPEN_CLOEXEC);
  try {
    try {
      // The "device" name mountinfo shows (mount(8)'s first argument).
      sys.fsconfig(fsfd, M.FSCONFIG_SET_STRING, 'source', source);
      for (const [key, value] of Object.entries(options)) {
        if (value === true) sys.fsconfig(fsfd, M.FSCONFIG_SET_FLAG, key);
        else if (typeof value === 'string') sys.fsconfig(fsfd, M.FSCONFIG_SET_STRING, key, value);
        // A key given once per value, in order (overlayfs' `lowerdir+`).
        else for (const v of value) sys.fsconfig(fsfd, M.FSCONFIG_SET_STRING, key, v);
      }
      sys.fsconfig(fsfd, M.FSCONFIG_CMD_CREATE);
    } catch (e) {
      const log = contextLog(sys, fsfd);
      if (log && e instanceof Error) e.message += ` (${fstype}: ${log})`;
      throw e;
    }
    return sys.fsmount(fsfd, M.FSMOUNT_CLOEXEC, attrs);
  } finally {
    sys.close(fsfd);
  }
}

/**
 * A detached mount of a single file holding `content`: a private tmpfs is created detached,
 * the file written into it, and the file alone cloned as a mount. The tmpfs is never attached
 * anywhere; it lives as long as the file mount does.
 */
export function dataFile(sys: MountSyscalls, content: string, mode: number): number {
  const tmp = newFilesystem(
    sys,
    'tmpfs',
    { mode: '700', size: String(Math.max(4096, content.length * 2)) },
    0,
  );
  try {
    const fd = sys.openat(tmp, 'data', F.O_CREAT | F.O_EXCL | F.O_WRONLY | F.O_CLOEXEC, mode);
    try {
      const bytes = Buffer.from(content);
      let off = 0;
      while (off < bytes.length) off += sys.write(fd, bytes.subarray(off));
    } finally {
      sys.close(fd);
    }
    return cloneTree(sys, tmp, 'data', false);
  } finally {
    sys.close(tmp);
  }
}
