import { errnoFields } from '@rootless-ts/libc';
import { MountError } from './errors.js';
import { pathComponents, splitParent } from './paths.js';
import { IN_ROOT, IN_ROOT_NO_SYMLINKS, O_PATH_CLOEXEC } from './sys.js';
import type { MountSyscalls } from './syscalls.js';
import type { TargetKind } from './types.js';

/** Linux's own limit on symlinks followed in one lookup. */
const MAX_LINKS = 40;

/** `/proc/self/fd/N`: a path the kernel resolves to the open file itself (a magic link). */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** Runs fn with fd and closes fd afterwards (through sys), whatever happens. */
export function withFd<T>(sys: MountSyscalls, fd: number, fn: (fd: number) => T): T {
  try {
    return fn(fd);
  } finally {
    sys.close(fd);
  }
}

function codeOf(e: unknown): string | undefined {
  return (e as { code?: string } | undefined)?.code;
}

/** Lexical normalization keeping the result absolute; '..' at the top stays at the top (as in a root). */
function normalizeInRoot(path: string): string {
  const out: string[] = [];
  for (const c of pathComponents(path)) {
    if (c === '..') out.pop();
    else out.push(c);
  }
  return `/${out.join('/')}`;
}

/**
 * Opens container paths inside a root directory, never leaving it. Every lookup is one
 * openat2(rootFd, path, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): the kernel treats rootFd as
 * '/', so absolute symlinks and '..' are clamped to the root, exactly as they will be after
 * pivot_root. Missing targets are created one component at a time in a parent opened the same
 * way, with calls that do not follow a symlink at the last component (mkdir, O_CREAT|O_EXCL).
 * The creation calls go through `/proc/self/fd/N/name`: the kernel resolves the magic link to
 * the opened parent itself, so no path string is ever re-resolved from the host's '/'.
 */
/** An entry a resolver created in the root, identified so that only it is ever removed. */
export interface CreatedEntry {
  /** Its container path (lexically normalized). */
  path: string;
  kind: TargetKind;
  dev: number;
  ino: number;
}

export class RootResolver {
  /** What openOrCreate created, in order: undone when applying the plan fails. */
  readonly created: CreatedEntry[];

  /** `created` carries the entries over when the root is reopened (after pivot_root). */
  constructor(
    readonly sys: MountSyscalls,
    readonly rootFd: number,
    created: CreatedEntry[] = [],
  ) {
    this.created = created;
  }

  /**
   * An O_PATH descriptor of target, or undefined when it does not exist. `noSymlinks`: no
   * component may be a symlink (ELOOP otherwise), so the descriptor is the directory entry that
   * has that very path in the root, not wherever a link swapped in would lead.
   */
  tryOpen(target: string, op: string, noSymlinks = false): number | undefined {
    const resolve = noSymlinks ? IN_ROOT_NO_SYMLINKS : IN_ROOT;
    try {
      return this.sys.openat2(this.rootFd, target, { flags: O_PATH_CLOEXEC, resolve });
    } catch (e) {
      if (codeOf(e) === 'ENOENT') return undefined;
      if (noSymlinks && codeOf(e) === 'ELOOP') {
        throw this.error(op, target, e, 'is, or is under, a symlink (not allowed here)');
      }
      throw this.error(op, target, e, 'cannot resolve');
    }
  }

  /** An O_PATH descriptor of target; a missing target is a MountError naming it. */
  open(target: string, op: string, noSymlinks = false): number {
    const fd = this.tryOpen(target, op, noSymlinks);
    if (fd === undefined) {
      throw new MountError(op, `${op} ${target}: does not exist in the root`, {
        path: target,
        code: 'ENOENT',
      });
    }
    return fd;
  }

  /**
   * An O_PATH descriptor of target, creating it (a `kind`, with parent directories) when
   * missing. A dangling symlink is followed inside the root and its target created there
   * (runc's behaviour: /etc/resolv.conf -> ../run/resolv.conf creates /run/resolv.conf).
   * `noSymlinks`: no symlink is followed anywhere (see tryOpen), a symlink in the way is an
   * error, and the result is checked to be of `kind`: a real directory (or file) of the root.
   */
  openOrCreate(
    target: string,
    kind: TargetKind,
    op: string,
    noSymlinks = false,
    links = 0,
  ): number {
    const fd = this.openOrCreateAny(target, kind, op, noSymlinks, links);
    if (noSymlinks) {
      let isDir: boolean;
      try {
        isDir = this.sys.isDirectory(fd);
      } catch (e) {
        this.sys.close(fd);
        throw this.error(op, target, e, 'cannot inspect');
      }
      if (isDir !== (kind === 'dir')) {
        this.sys.close(fd);
        throw new MountError(
          op,
          `${op} ${target}: is not a ${kind === 'dir' ? 'directory' : 'file'}`,
          {
            path: target,
            code: kind === 'dir' ? 'ENOTDIR' : 'EISDIR',
          },
        );
      }
    }
    return fd;
  }

  private openOrCreateAny(
    target: string,
    kind: TargetKind,
    op: string,
    noSymlinks: boolean,
    links: number,
  ): number {
    if (links > MAX_LINKS) {
      throw new MountError(op, `${op} ${target}: too many levels of symbolic links`, {
        path: target,
        code: 'ELOOP',
      });
    }
    const existing = this.tryOpen(target, op, noSymlinks);
    if (existing !== undefined) return existing;
    const split = splitParent(normalizeInRoot(target));
    if (!split) throw this.error(op, target, undefined, 'the root itself is missing');
    const parentFd = this.openOrCreateAny(split.parent, 'dir', op, noSymlinks, links);
    let followed: string | undefined;
    try {
      this.create(parentFd, split.name, kind, op, target);
      const st = this.sys.lstat(fdPath(parentFd, split.name));
      this.created.push({
        path: `${split.parent === '/' ? '' : split.parent}/${split.name}`,
        kind,
        dev: st.dev,
        ino: st.ino,
      });
    } catch (e) {
      if (codeOf(e) !== 'EEXIST') throw e;
      // It exists, yet the lookup said ENOENT: a symlink to something missing (or a race).
      if (noSymlinks) throw this.error(op, target, e, 'something is in the way');
      followed = this.danglingLink(parentFd, split.parent, split.name, op, target);
    } finally {
      this.sys.close(parentFd);
    }
    if (followed !== undefined) {
      return this.openOrCreateAny(followed, kind, op, noSymlinks, links + 1);
    }
    return this.open(target, op, noSymlinks);
  }

  private create(parentFd: number, name: string, kind: TargetKind, op: string, target: string) {
    const path = fdPath(parentFd, name);
    try {
      // Neither call opens an existing entry, nor follows a symlink at `name`.
      if (kind === 'dir') this.sys.mkdir(path, 0o755);
      else this.sys.createFile(path, 0o644);
    } catch (e) {
      if (codeOf(e) === 'EEXIST') throw e;
      throw this.error(
        op,
        target,
        e,
        `cannot create the missing ${kind === 'dir' ? 'directory' : 'file'}`,
      );
    }
  }

  /** Where a dangling symlink at parent/name points, as a container path. */
  private danglingLink(
    parentFd: number,
    parent: string,
    name: string,
    op: string,
    target: string,
  ): string {
    let link: string;
    try {
      link = this.sys.readlink(fdPath(parentFd, name));
    } catch (e) {
      throw this.error(op, target, e, 'cannot create it (something is in the way)');
    }
    if (link.startsWith('/')) return link;
    // Relative: from the parent's real place in the root (parent's own path may hold symlinks).
    return `${this.realPath(parentFd) ?? parent}/${link}`;
  }

  /** A descriptor's path relative to the root, when the kernel can tell. */
  private realPath(fd: number): string | undefined {
    try {
      const root = this.sys.readlink(fdPath(this.rootFd));
      const path = this.sys.readlink(fdPath(fd));
      if (path === root) return '/';
      if (path.startsWith(`${root}/`)) return path.slice(root.length);
    } catch {
      // Fall back to the lexical parent.
    }
    return undefined;
  }

  error(op: string, target: string, e: unknown, what: string): MountError {
    const detail = e instanceof Error ? `: ${e.message}` : '';
    return new MountError(op, `${op} ${target}: ${what}${detail}`, {
      ...errnoFields(e),
      path: target,
      cause: e,
    });
  }
}
