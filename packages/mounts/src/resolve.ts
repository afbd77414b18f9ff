import { closeSync, lstatSync, mkdirSync, openSync, readlinkSync } from 'node:fs';
import { close, errnoFields, isErrnoError, openat2, readlink } from '@rootless-ts/libc';
import { MountError } from './errors.js';
import { pathComponents, splitParent } from './paths.js';
import { F, IN_ROOT, O_PATH_CLOEXEC } from './sys.js';
import type { TargetKind } from './types.js';

/** Linux's own limit on symlinks followed in one lookup. */
const MAX_LINKS = 40;

/** `/proc/self/fd/N`: a path the kernel resolves to the open file itself (a magic link). */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** Runs fn with fd and closes fd afterwards, whatever happens. */
export function withFd<T>(fd: number, fn: (fd: number) => T): T {
  try {
    return fn(fd);
  } finally {
    close(fd);
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
    readonly rootFd: number,
    created: CreatedEntry[] = [],
  ) {
    this.created = created;
  }

  /** An O_PATH descriptor of target, or undefined when it does not exist. */
  tryOpen(target: string, op: string): number | undefined {
    try {
      return openat2(this.rootFd, target, { flags: O_PATH_CLOEXEC, resolve: IN_ROOT });
    } catch (e) {
      if (isErrnoError(e, 'ENOENT')) return undefined;
      throw this.error(op, target, e, 'cannot resolve');
    }
  }

  /** An O_PATH descriptor of target; a missing target is a MountError naming it. */
  open(target: string, op: string): number {
    const fd = this.tryOpen(target, op);
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
   */
  openOrCreate(target: string, kind: TargetKind, op: string, links = 0): number {
    if (links > MAX_LINKS) {
      throw new MountError(op, `${op} ${target}: too many levels of symbolic links`, {
        path: target,
        code: 'ELOOP',
      });
    }
    const existing = this.tryOpen(target, op);
    if (existing !== undefined) return existing;
    const split = splitParent(normalizeInRoot(target));
    if (!split) throw this.error(op, target, undefined, 'the root itself is missing');
    const parentFd = this.openOrCreate(split.parent, 'dir', op, links);
    let followed: string | undefined;
    try {
      this.create(parentFd, split.name, kind, op, target);
      const st = lstatSync(fdPath(parentFd, split.name));
      this.created.push({
        path: `${split.parent === '/' ? '' : split.parent}/${split.name}`,
        kind,
        dev: st.dev,
        ino: st.ino,
      });
    } catch (e) {
      if (codeOf(e) !== 'EEXIST') throw e;
      // It exists, yet the lookup said ENOENT: a symlink to something missing (or a race).
      followed = this.danglingLink(parentFd, split.parent, split.name, op, target);
    } finally {
      close(parentFd);
    }
    if (followed !== undefined) return this.openOrCreate(followed, kind, op, links + 1);
    return this.open(target, op);
  }

  private create(parentFd: number, name: string, kind: TargetKind, op: string, target: string) {
    const path = fdPath(parentFd, name);
    try {
      if (kind === 'dir') {
        mkdirSync(path, { mode: 0o755 });
      } else {
        // O_EXCL: never opens an existing file, and never follows a symlink at `name`.
        const flags = F.O_CREAT | F.O_EXCL | F.O_WRONLY | F.O_NOFOLLOW | F.O_CLOEXEC;
        closeSync(openSync(path, flags, 0o644));
      }
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
      link = readlinkSync(fdPath(parentFd, name));
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
      const root = readlink(fdPath(this.rootFd));
      const path = readlink(fdPath(fd));
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
