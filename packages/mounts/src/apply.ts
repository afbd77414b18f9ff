import { MountError } from './errors.js';
import { attach, cloneTree, dataFile, newFilesystem, setAttrs } from './newapi.js';
import { splitParent } from './paths.js';
import { fdPath, RootResolver, withFd } from './resolve.js';
import {
  BENEATH_NO_SYMLINKS,
  F,
  M,
  mountAttrBits,
  O_PATH_CLOEXEC,
  propagationFlag,
} from './sys.js';
import { type MountSyscalls, realSyscalls } from './syscalls.js';
import type { InsideMount, MountOp, OverlayRootOp } from './types.js';
import { pivotWith, wrapError } from './wrappers.js';

export interface ApplyOptions {
  /** Called before each op (tracing, tests). */
  onOp?: (op: MountOp, index: number) => void;
  /**
   * The system calls to make (default: the kernel's, through @rootless-ts/libc). Tests pass a
   * recording fake to check the order of calls and what a failure undoes.
   */
  syscalls?: MountSyscalls;
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
  sys: MountSyscalls;
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
    throw new MountError(
      op.op,
      `${op.op}: no root yet (the plan must start with bindRoot, overlayRoot or hostRoot)`,
    );
  }
  return state.root;
}

/** Closes fd (through sys) when fn throws, then rethrows; returns fd otherwise. */
function closeOnError(sys: MountSyscalls, fd: number, fn: () => void): number {
  try {
    fn();
  } catch (e) {
    sys.close(fd);
    throw e;
  }
  return fd;
}

/**
 * Attaches the detached mount `tree` onto target (created as `kind` when missing), then closes
 * it. With `inside`, the target is resolved without following any symlink and must be a real
 * `kind`, and the masks and read-only paths are applied to the tree through its descriptor first.
 */
function attachAt(
  state: State,
  root: RootResolver,
  tree: number,
  target: string,
  kind: 'file' | 'dir',
  op: string,
  inside?: InsideMount,
) {
  const { sys } = state;
  try {
    withFd(sys, root.openOrCreate(target, kind, op, inside !== undefined), (dst) => {
      if (!inside) {
        attach(sys, tree, dst);
        return;
      }
      applyInside(sys, tree, inside, target, op, () => attach(sys, tree, dst));
    });
  } finally {
    sys.close(tree);
  }
}

/**
 * Applies masks, then read-only paths, below the mount behind `tree`, each found from the tree's
 * own descriptor (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): never through a path of the
 * root, which an image could have swapped meanwhile. Done while the tree is detached, then
 * `attachTree` attaches it. Kernels before 6.15 refuse to mount onto a detached tree (EINVAL):
 * the tree is then attached first and the rest applied through the same descriptor, which still
 * refers to the mount that was made.
 */
function applyInside(
  sys: MountSyscalls,
  tree: number,
  inside: InsideMount,
  target: string,
  op: string,
  attachTree: () => void,
) {
  let attached = false;
  const items: [kind: 'mask' | 'readonly', rel: string][] = [
    ...inside.masks.map((p): ['mask', string] => ['mask', p]),
    ...inside.readonly.map((p): ['readonly', string] => ['readonly', p]),
  ];
  for (const [kind, rel] of items) {
    const run = () => (kind === 'mask' ? maskBelow(sys, tree, rel) : readonlyBelow(sys, tree, rel));
    try {
      run();
    } catch (e) {
      if (attached || (e as { code?: string }).code !== 'EINVAL') {
        throw wrapError(
          kind === 'mask' ? 'mask' : 'remountReadonly',
          `${target}/${rel}`,
          e,
          `(${op} ${target})`,
        );
      }
      attachTree();
      attached = true;
      try {
        run();
      } catch (e2) {
        throw wrapError(kind === 'mask' ? 'mask' : 'remountReadonly', `${target}/${rel}`, e2);
      }
    }
  }
  if (!attached) attachTree();
}

/** An O_PATH descriptor of rel below the mount behind tree, or undefined when it is missing. */
function openBelow(sys: MountSyscalls, tree: number, rel: string): number | undefined {
  try {
    return sys.openat2(tree, rel, { flags: O_PATH_CLOEXEC, resolve: BENEATH_NO_SYMLINKS });
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** runc's masking: an empty read-only tmpfs over a directory, /dev/null over anything else. */
function cover(sys: MountSyscalls, dst: number): void {
  const mask = sys.isDirectory(dst)
    ? newFilesystem(sys, 'tmpfs', { mode: '555' }, M.MOUNT_ATTR_RDONLY)
    : cloneTree(sys, F.AT_FDCWD, '/dev/null', false);
  try {
    attach(sys, mask, dst);
  } finally {
    sys.close(mask);
  }
}

function maskBelow(sys: MountSyscalls, tree: number, rel: string): void {
  const fd = openBelow(sys, tree, rel);
  if (fd !== undefined) withFd(sys, fd, (dst) => cover(sys, dst));
}

/** Binds dst onto itself, read-only (recursively): it need not be a mount point already. */
function readonlyOnto(sys: MountSyscalls, dst: number, recursive: boolean): void {
  const ro = cloneTree(sys, dst, '', recursive);
  try {
    setAttrs(sys, ro, M.MOUNT_ATTR_RDONLY, recursive);
    attach(sys, ro, dst);
  } finally {
    sys.close(ro);
  }
}

function readonlyBelow(sys: MountSyscalls, tree: number, rel: string): void {
  const fd = openBelow(sys, tree, rel);
  if (fd !== undefined) withFd(sys, fd, (dst) => readonlyOnto(sys, dst, true));
}

/** fsconfig(2) copies a string value with strndup_user(value, 256): longer ones are EINVAL. */
const FSCONFIG_MAX_STRING = 255;

/**
 * overlayfs' options for a rootless overlay: `userxattr` (its metadata in user.overlay.*
 * xattrs, the only ones root of a user namespace may write). The layers go as one `lowerdir`
 * string, separated by ':', a ':' or backslash in a path escaped by a backslash (as overlayfs
 * reads it), which every kernel since 5.11 accepts, as long as it fits in fsconfig's 255 bytes;
 * longer (a few layers under a home directory), one `lowerdir+` per layer (Linux 6.8+), which
 * has no such limit.
 */
function overlayOptions(op: OverlayRootOp): Record<string, string | true | readonly string[]> {
  const escapeLayer = (p: string) => p.replace(/[\\:]/g, (c) => `\\${c}`);
  const joined = op.lowerdirs.map(escapeLayer).join(':');
  return {
    ...(Buffer.byteLength(joined) <= FSCONFIG_MAX_STRING
      ? { lowerdir: joined }
      : { 'lowerdir+': op.lowerdirs }),
    upperdir: op.upperdir,
    workdir: op.workdir,
    userxattr: true,
  };
}

function applyOne(op: MountOp, state: State, index: number): void {
  const { sys } = state;
  switch (op.op) {
    case 'propagation': {
      const rec = op.recursive ? M.MS_REC : 0;
      sys.mount(null, op.hostPath, null, propagationFlag(op.propagation) | rec, null);
      return;
    }
    case 'bindRoot': {
      // The root may already be a mount point, or not: bind it onto itself either way, then
      // reopen it so the descriptor refers to the new mount (the one pivot_root will use).
      const tree = cloneTree(sys, F.AT_FDCWD, op.source, true);
      try {
        withFd(sys, sys.open(op.source, O_PATH_CLOEXEC | F.O_DIRECTORY), (dst) =>
          attach(sys, tree, dst),
        );
      } finally {
        sys.close(tree);
      }
      state.root = new RootResolver(sys, sys.open(op.source, O_PATH_CLOEXEC | F.O_DIRECTORY));
      state.source = op.source;
      return;
    }
    case 'hostRoot': {
      state.root = new RootResolver(sys, sys.open('/', O_PATH_CLOEXEC | F.O_DIRECTORY));
      state.source = '/';
      return;
    }
    case 'overlayRoot': {
      // Attached over upperdir in this mount namespace only (the layers are held by the
      // filesystem from fsconfig on, so hiding upperdir's path hides nothing from overlayfs),
      // then reopened there, as bindRoot does: pivot_root needs a mount it can reach.
      const fs = newFilesystem(sys, 'overlay', overlayOptions(op), 0, 'overlay');
      try {
        withFd(sys, sys.open(op.upperdir, O_PATH_CLOEXEC | F.O_DIRECTORY), (dst) =>
          attach(sys, fs, dst),
        );
      } finally {
        sys.close(fs);
      }
      state.root = new RootResolver(sys, sys.open(op.upperdir, O_PATH_CLOEXEC | F.O_DIRECTORY));
      state.source = op.upperdir;
      return;
    }
    case 'bind': {
      const root = needRoot(state, op);
      const cloned = state.sources.get(index);
      state.sources.delete(index);
      const tree = cloned ?? cloneTree(sys, F.AT_FDCWD, op.source, op.recursive);
      closeOnError(sys, tree, () => {
        if (op.readonly) setAttrs(sys, tree, M.MOUNT_ATTR_RDONLY, op.recursive);
      });
      attachAt(state, root, tree, op.target, op.create, op.op, op.inside);
      return;
    }
    case 'mount': {
      const root = needRoot(state, op);
      const fs = newFilesystem(
        sys,
        op.fstype,
        op.options,
        mountAttrBits(op.attrs, op.readonly),
        op.source,
      );
      attachAt(state, root, fs, op.target, 'dir', op.op, op.inside);
      return;
    }
    case 'mkdir': {
      const root = needRoot(state, op);
      sys.close(root.openOrCreate(op.target, 'dir', op.op));
      return;
    }
    case 'symlink': {
      const root = needRoot(state, op);
      const split = splitParent(op.target);
      if (!split) throw new MountError(op.op, 'symlink: cannot replace the root', { path: '/' });
      withFd(sys, root.openOrCreate(split.parent, 'dir', op.op), (parent) => {
        const path = fdPath(parent, split.name);
        try {
          sys.symlink(op.linkTo, path);
        } catch (e) {
          // Keep an identical link (re-applying a plan); anything else in the way is an error.
          if ((e as { code?: string }).code !== 'EEXIST') throw e;
          let existing: string | undefined;
          try {
            existing = sys.readlink(path);
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
      const file = dataFile(sys, op.content, op.mode);
      closeOnError(sys, file, () => {
        if (op.readonly) setAttrs(sys, file, M.MOUNT_ATTR_RDONLY, false);
      });
      attachAt(state, root, file, op.target, 'file', op.op);
      return;
    }
    case 'mask': {
      const root = needRoot(state, op);
      const fd = root.tryOpen(op.target, op.op);
      if (fd === undefined) return; // Nothing to hide.
      withFd(sys, fd, (dst) => cover(sys, dst));
      return;
    }
    case 'remountReadonly': {
      const root = needRoot(state, op);
      if (op.target === '/') {
        // The root is the mount bindRoot made: change its read-only bit alone (mount_setattr
        // leaves the locked nosuid/nodev/noexec/atime flags as they are).
        setAttrs(sys, root.rootFd, M.MOUNT_ATTR_RDONLY, op.recursive);
        return;
      }
      const fd = op.ifExists ? root.tryOpen(op.target, op.op) : root.open(op.target, op.op);
      if (fd === undefined) return;
      withFd(sys, fd, (dst) => readonlyOnto(sys, dst, op.recursive));
      return;
    }
    case 'pivotRoot': {
      const root = needRoot(state, op);
      pivotWith(sys, root.rootFd);
      state.pivoted = true;
      // From now on '/' is the root; keep resolving container paths inside it (and keep the
      // list of what was created: container paths, the same after pivot_root). The old
      // descriptor is closed only once the new one is open: until then it is the one to undo
      // through (it refers to the same mount), and it must never be closed twice.
      const now = sys.open('/', O_PATH_CLOEXEC | F.O_DIRECTORY);
      sys.close(root.rootFd);
      state.root = new RootResolver(sys, now, root.created);
      return;
    }
    case 'chdir': {
      const root = needRoot(state, op);
      withFd(sys, root.open(op.target, op.op), (fd) => sys.fchdir(fd));
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
  const { sys } = root;
  for (const entry of [...root.created].reverse()) {
    const split = splitParent(entry.path);
    if (!split) continue;
    try {
      const parentFd = root.tryOpen(split.parent, 'undo');
      if (parentFd === undefined) continue;
      withFd(sys, parentFd, (parent) => {
        const path = fdPath(parent, split.name);
        // Mounts stacked on the entry hide it: detach them (at most a few) to reach it.
        for (let i = 0; i < 8; i++) {
          const st = sys.lstat(path);
          if (st.dev === entry.dev && st.ino === entry.ino) {
            if (entry.kind === 'dir') sys.rmdir(path);
            else sys.unlink(path);
            return;
          }
          sys.umount2(path, M.MNT_DETACH | M.UMOUNT_NOFOLLOW);
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
      fd = cloneTree(state.sys, F.AT_FDCWD, op.source, op.recursive);
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
  if ('upperdir' in op) return op.upperdir;
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
  const sys = options.syscalls ?? realSyscalls;
  const state: State = { sys, pivoted: false, sources: new Map() };
  try {
    ops.forEach((op, i) => {
      options.onOp?.(op, i);
      try {
        applyOne(op, state, i);
        if (op.op === 'bindRoot' || op.op === 'overlayRoot' || op.op === 'hostRoot') {
          cloneSources(ops, i, state);
        }
      } catch (e) {
        // Before or after pivot_root: the created entries are container paths, resolved inside
        // the root either way.
        if (state.root) undoCreated(state.root);
        throw wrapError(op.op, pathOf(op), e);
      }
    });
  } finally {
    if (state.root) sys.close(state.root.rootFd);
    for (const fd of state.sources.values()) sys.close(fd);
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
        fd = sys.open(path, O_PATH_CLOEXEC | F.O_DIRECTORY);
      } catch {
        return;
      }
      try {
        undoCreated(new RootResolver(sys, fd, created.splice(0)));
      } finally {
        sys.close(fd);
      }
    },
  };
}
