import { close, errnoFields, mount, mountSetattr, open, statfs, umount2 } from '@rootless-ts/libc';
import { MountError } from './errors.js';
import { attach, cloneTree, setAttrs } from './newapi.js';
import { F, lockedMsFlags, M, O_PATH_CLOEXEC, propagationFlag } from './sys.js';
import { type MountSyscalls, realSyscalls as sys } from './syscalls.js';
import type { Propagation } from './types.js';

/**
 * Wrappers for host paths (trusted paths, resolved the ordinary way, symlinks followed). For
 * targets inside an untrusted root filesystem use a plan and applyPlan, which resolve them
 * inside the root.
 */

/** Wraps a libc error into a MountError naming the operation and path. */
export function wrapError(op: string, path: string, e: unknown, what = ''): MountError {
  if (e instanceof MountError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new MountError(op, `${op} ${path}${what ? `: ${what}` : ''}: ${message}`, {
    ...errnoFields(e),
    path,
    cause: e,
  });
}

function guarded<T>(op: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw wrapError(op, path, e);
  }
}

export interface BindOptions {
  /** Include the mounts below source (mount --rbind). Default true. */
  recursive?: boolean;
  /** Make the new mount (tree) read-only. Default false. */
  readonly?: boolean;
}

/** Bind-mounts source onto target (open_tree + move_mount; read-only set before it is attached). */
export function bindMount(source: string, target: string, options: BindOptions = {}): void {
  const recursive = options.recursive ?? true;
  guarded('bind', target, () => {
    const tree = cloneTree(sys, F.AT_FDCWD, source, recursive);
    try {
      if (options.readonly) setAttrs(sys, tree, M.MOUNT_ATTR_RDONLY, recursive);
      const dst = open(target, O_PATH_CLOEXEC);
      try {
        attach(sys, tree, dst);
      } finally {
        close(dst);
      }
    } finally {
      close(tree);
    }
  });
}

/**
 * Remounts the mount at path read-only, keeping the flags the kernel locks in a user namespace.
 * Non-recursive: the classic `mount(MS_REMOUNT | MS_BIND | MS_RDONLY | flags)`, where flags are
 * the mount's nosuid, nodev, noexec and atime flags read with statfs (without them the kernel
 * refuses with EPERM). Recursive: `mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY)`, which only
 * ever changes the read-only bit. path should be a mount point (bind it onto itself first).
 */
export function remountReadonly(path: string, options: { recursive?: boolean } = {}): void {
  guarded('remountReadonly', path, () => {
    if (options.recursive) {
      mountSetattr(F.AT_FDCWD, path, M.AT_RECURSIVE, { attrSet: M.MOUNT_ATTR_RDONLY });
      return;
    }
    const keep = lockedMsFlags(statfs(path).flags);
    mount(null, path, null, M.MS_REMOUNT | M.MS_BIND | M.MS_RDONLY | keep, null);
  });
}

/** Sets the propagation of the mount at path (mount --make-[r]private and friends). */
export function setPropagation(
  path: string,
  propagation: Propagation,
  options: { recursive?: boolean } = {},
): void {
  const rec = (options.recursive ?? true) ? M.MS_REC : 0;
  guarded('propagation', path, () =>
    mount(null, path, null, propagationFlag(propagation) | rec, null),
  );
}

/** mount --make-rprivate path: no mount event crosses between this tree and its peers. */
export function makePrivate(path: string, options: { recursive?: boolean } = {}): void {
  setPropagation(path, 'private', options);
}

/** Unmounts path; lazily by default (MNT_DETACH: gone from the tree now, freed when unused). */
export function unmount(path: string, options: { lazy?: boolean } = {}): void {
  guarded('unmount', path, () => umount2(path, options.lazy === false ? 0 : M.MNT_DETACH));
}

/**
 * Makes newRoot (a mount point, e.g. bound onto itself) the process's '/' and detaches the old
 * root, so nothing of the host's tree stays reachable: pivot_root(".", ".") stacks the old root
 * on top of the new one, umount2(".", MNT_DETACH) drops it (no put_old directory is needed,
 * so a read-only root works). newRoot's parent mount must not be shared.
 */
export function pivotInto(newRoot: string | number): void {
  const label = typeof newRoot === 'number' ? `fd ${newRoot}` : newRoot;
  guarded('pivotRoot', label, () => pivotWith(sys, newRoot));
}

/** pivotInto's calls, through the given system calls (applyPlan's, which tests can record). */
export function pivotWith(calls: MountSyscalls, newRoot: string | number): void {
  if (typeof newRoot === 'number') calls.fchdir(newRoot);
  else calls.chdir(newRoot);
  calls.pivotRoot('.', '.');
  calls.umount2('.', M.MNT_DETACH);
  calls.chdir('/');
}
