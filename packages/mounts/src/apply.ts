import { fstatSync, lstatSync, readlinkSync, rmdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { close, fchdir, mount, open, umount2 } from '@rootless-ts/libc';
import { MountError } from './errors.js';
import { attach, cloneTree, dataFile, newFilesystem, setAttrs } from './newapi.js';
import { splitParent } from './paths.js';
import { fdPath, RootResolver, withFd } from './resolve.js';
import { F, M, mountAttrBits, O_PATH_CLOEXEC, propagationFlag } from './sys.js';
import type { MountOp } from './types.js';
import { pivotInto, wrapError } from './wrappers.js';

export interface ApplyOptions {
  /** Called before each op (tracing, tests). */
  onOp?: (op: MountOp, index: number) => void;
}

/** What applyPlan returns: a way to take back what it created, if a later step fails. */
export interface AppliedPlan {
  /**
   * Removes the entries the plan created in the root (mount points of volumes, /etc files, the
   * working directory, …), detaching the mounts on them, as applyPlan itself does when one of
   * its ops fails. For a caller whose own next step (checking the program, exec) fails while it
   * still has the privileges applyPlan had. Best effort, never throws; only the very entries
   * created (same device and inode) are removed, directories only when empty. Idempotent.
   */
  undo(): void;
}

/** State carried from op to op: the root, once bindRoot has made it a mount. */
interface State {
  root?: RootResolver;
  /** The root's host path (bindRoot's source), to reopen it after applyPlan returns. */
  source?: string;
  pivoted: boolean;
  /**
   * The bind ops' sources, cloned when the root is bound (by op index): the host's view of
   * them, taken before the container's /proc, /dev, … are mounted under the root. A source that
   * is the root, or holds it, would otherwise carry those mounts in (an unmasked /proc).
   */
  sources: Map<number, number>;
}

function needRoot(state: State, op: MountOp): RootResolver {
  if (!state.root) {
    throw new MountError(op.op, `${op.op}: no root yet (the plan must start with bindRoot)`);
  }
  return state.root;
}

/** Attaches a detached mount onto target (created as `kind` when missing), then closes it. */
function attachAt(
  root: RootResolver,
  mountFd: number,
  target: string,
  kind: 'file' | 'dir',
  op: string,
) {
  try {
    withFd(root.openOrCreate(target, kind, op), (dst) => attach(mountFd, dst));
  } finally {
    close(mountFd);
  }
}

function applyOne(op: MountOp, state: State, index: number): void {
  switch (op.op) {
    case 'propagation': {
      const rec = op.recursive ? M.MS_REC : 0;
      mount(null, op.hostPath, null, propagationFlag(op.propagation) | rec, null);
      return;
    }
    case 'bindRoot': {
      // The root may already be a mount point, or not: bind it onto itself either way, then
      // reopen it so the descriptor refers to the new mount (the one pivot_root will use).
      const tree = cloneTree(F.AT_FDCWD, op.source, true);
      try {
        withFd(open(op.source, O_PATH_CLOEXEC | F.O_DIRECTORY), (dst) => attach(tree, dst));
      } finally {
        close(tree);
      }
      state.root = new RootResolver(open(op.source, O_PATH_CLOEXEC | F.O_DIRECTORY));
      state.source = op.source;
      return;
    }
    case 'bind': {
      const root = needRoot(state, op);
      const cloned = state.sources.get(index);
      state.sources.delete(index);
      const tree = cloned ?? cloneTree(F.AT_FDCWD, op.source, op.recursive);
      try {
        if (op.readonly) setAttrs(tree, M.MOUNT_ATTR_RDONLY, op.recursive);
      } catch (e) {
        close(tree);
        throw e;
      }
      attachAt(root, tree, op.target, op.create, op.op);
      return;
    }
    case 'mount': {
      const root = needRoot(state, op);
      const fs = newFilesystem(
        op.fstype,
        op.options,
        mountAttrBits(op.attrs, op.readonly),
        op.source,
      );
      attachAt(root, fs, op.target, 'dir', op.op);
      return;
    }
    case 'mkdir': {
      const root = needRoot(state, op);
      close(root.openOrCreate(op.target, 'dir', op.op));
      return;
    }
    case 'symlink': {
      const root = needRoot(state, op);
      const split = splitParent(op.target);
      if (!split) throw new MountError(op.op, 'symlink: cannot replace the root', { path: '/' });
      withFd(root.openOrCreate(split.parent, 'dir', op.op), (parent) => {
        const path = fdPath(parent, split.name);
        try {
          symlinkSync(op.linkTo, path);
        } catch (e) {
          // Keep an identical link (re-applying a plan); anything else in the way is an error.
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          let existing: string | undefined;
          try {
            existing = readlinkSync(path);
          } catch {
            existing = undefined;
          }
          if (existing !== op.linkTo) throw e;
        }
      });
      return;
    }
    case 'file': {
      const root = needRoot(state, op);
      const file = dataFile(op.content, op.mode);
      try {
        if (op.readonly) setAttrs(file, M.MOUNT_ATTR_RDONLY, false);
      } catch (e) {
        close(file);
        throw e;
      }
      attachAt(root, file, op.target, 'file', op.op);
      return;
    }
    case 'mask': {
      const root = needRoot(state, op);
      const fd = root.tryOpen(op.target, op.op);
      if (fd === undefined) return; // Nothing to hide.
      withFd(fd, (dst) => {
        // runc's masking: an empty read-only tmpfs over a directory, /dev/null over anything else.
        const cover = fstatSync(dst).isDirectory()
          ? newFilesystem('tmpfs', { mode: '555' }, M.MOUNT_ATTR_RDONLY)
          : cloneTree(F.AT_FDCWD, '/dev/null', false);
        try {
          attach(cover, dst);
        } finally {
          close(cover);
        }
      });
      return;
    }
    case 'remountReadonly': {
      const root = needRoot(state, op);
      if (op.target === '/') {
        // The root is the mount bindRoot made: change its read-only bit alone (mount_setattr
        // leaves the locked nosuid/nodev/noexec/atime flags as they are).
        setAttrs(root.rootFd, M.MOUNT_ATTR_RDONLY, op.recursive);
        return;
      }
      const fd = op.ifExists ? root.tryOpen(op.target, op.op) : root.open(op.target, op.op);
      if (fd === undefined) return;
      withFd(fd, (dst) => {
        // Bind the path onto itself read-only (it need not be a mount point already).
        const tree = cloneTree(dst, '', op.recursive);
        try {
          setAttrs(tree, M.MOUNT_ATTR_RDONLY, op.recursive);
          attach(tree, dst);
        } finally {
          close(tree);
        }
      });
      return;
    }
    case 'pivotRoot': {
      const root = needRoot(state, op);
      pivotInto(root.rootFd);
      close(root.rootFd);
      // From now on '/' is the root; keep resolving container paths inside it (and keep the
      // list of what was created: container paths, the same after pivot_root).
      state.root = new RootResolver(open('/', O_PATH_CLOEXEC | F.O_DIRECTORY), root.created);
      state.pivoted = true;
      return;
    }
    case 'chdir': {
      const root = needRoot(state, op);
      withFd(root.open(op.target, op.op), (fd) => fchdir(fd));
      return;
    }
  }
}

/**
 * After a failure: removes what the plan created in the root (mount points for /etc/hosts,
 * volume targets, …), newest first, so that a failed start leaves the root filesystem, and any
 * volume directory, as it was. A mount the plan attached on a created entry is detached first.
 * An entry is removed only while it is the very file created (same device and inode), and a
 * directory only when empty. Best effort: the plan's own error is the one reported.
 */
function undoCreated(root: RootResolver): void {
  for (const entry of [...root.created].reverse()) {
    const split = splitParent(entry.path);
    if (!split) continue;
    try {
      const parentFd = root.tryOpen(split.parent, 'undo');
      if (parentFd === undefined) continue;
      withFd(parentFd, (parent) => {
        const path = fdPath(parent, split.name);
        // Mounts stacked on the entry hide it: detach them (at most a few) to reach it.
        for (let i = 0; i < 8; i++) {
          const st = lstatSync(path);
          if (st.dev === entry.dev && st.ino === entry.ino) {
            if (entry.kind === 'dir') rmdirSync(path);
            else unlinkSync(path);
            return;
          }
          umount2(path, M.MNT_DETACH | M.UMOUNT_NOFOLLOW);
        }
      });
    } catch {
      // Gone already, not empty, or not ours to remove: leave it.
    }
  }
}

/**
 * Clones the sources of the bind ops after `at` (the bindRoot op, just applied), before anything
 * is mounted under the root (and after the propagation op: the clones follow it).
 */
function cloneSources(ops: readonly MountOp[], at: number, state: State): void {
  for (let i = at + 1; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.op !== 'bind' || state.sources.has(i)) continue;
    let fd: number;
    try {
      fd = cloneTree(F.AT_FDCWD, op.source, op.recursive);
    } catch {
      continue; // Reported by the bind op itself, in its turn (after what precedes it).
    }
    state.sources.set(i, fd);
  }
}

function pathOf(op: MountOp): string {
  if ('target' in op) return op.target;
  if ('source' in op) return op.source;
  if ('hostPath' in op) return op.hostPath;
  return '/';
}

/**
 * Applies a plan, op by op, in the calling process: it must be root in a user namespace that
 * owns its mount namespace (and, for /proc, inside the container's pid namespace). Synchronous,
 * only system calls and synchronous fs: safe in the launcher's clone child. Throws a MountError
 * naming the op and path at the first failure; what was mounted stays mounted in this (private)
 * mount namespace, which disappears with the container.
 */
export function applyPlan(ops: readonly MountOp[], options: ApplyOptions = {}): AppliedPlan {
  const state: State = { pivoted: false, sources: new Map() };
  try {
    ops.forEach((op, i) => {
      options.onOp?.(op, i);
      try {
        applyOne(op, state, i);
        if (op.op === 'bindRoot') cloneSources(ops, i, state);
      } catch (e) {
        // Before or after pivot_root: the created entries are container paths, resolved inside
        // the root either way.
        if (state.root) undoCreated(state.root);
        throw wrapError(op.op, pathOf(op), e);
      }
    });
  } finally {
    if (state.root) close(state.root.rootFd);
    for (const fd of state.sources.values()) close(fd);
  }
  const created = state.root ? [...state.root.created] : [];
  return {
    undo() {
      if (created.length === 0) return;
      let fd: number;
      try {
        // After pivot_root the root is '/'; otherwise the root's host path, reopened (an entry
        // is only removed while it is the very one created, so a swapped path removes nothing).
        const path = state.pivoted ? '/' : state.source;
        if (path === undefined) return;
        fd = open(path, O_PATH_CLOEXEC | F.O_DIRECTORY);
      } catch {
        return;
      }
      try {
        undoCreated(new RootResolver(fd, created.splice(0)));
      } finally {
        close(fd);
      }
    },
  };
}
