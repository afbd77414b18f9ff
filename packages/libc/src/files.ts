import { check, fn } from './library.js';

// File calls Node's `fs` lacks: advisory locks, extended attributes, device nodes, syncfs.

/** `flock(2)`: op is LOCK_SH, LOCK_EX or LOCK_UN, optionally | LOCK_NB. The kernel drops it with the descriptor. */
export function flock(fd: number, op: number): void {
  check(fn('int flock(int fd, int op)')(fd, op), 'flock');
}

/** `lsetxattr(2)`: sets an extended attribute without following a final symlink. */
export function lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
  const set = fn(
    'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
  );
  check(set(path, name, value, value.length, flags), 'lsetxattr', path);
}

/** `lgetxattr(2)`: the attribute's value, or undefined when it is absent (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const get = fn(
    'long lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)',
  );
  for (;;) {
    const size = Number(get(path, name, null, 0));
    if (size < 0) {
      try {
        check(size, 'lgetxattr', path);
      } catch (e) {
        if ((e as { code?: string }).code === 'ENODATA') return undefined;
        throw e;
      }
    }
    const buf = Buffer.alloc(size);
    const got = Number(get(path, name, buf, size));
    // ERANGE: the value grew between the two calls; ask again.
    if (got >= 0) return buf.subarray(0, got);
    try {
      check(got, 'lgetxattr', path);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERANGE') throw e;
    }
  }
}

/** `llistxattr(2)`: the names of a file's extended attributes (not following a final symlink). */
export function llistxattr(path: string): string[] {
  const list = fn('long llistxattr(const char *path, _Out_ void *list, size_t size)');
  for (;;) {
    const size = check(Number(list(path, null, 0)), 'llistxattr', path);
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const got = Number(list(path, buf, size));
    if (got >= 0) {
      return buf
        .subarray(0, got)
        .toString('latin1')
        .split('\0')
        .filter((n) => n.length > 0);
    }
    try {
      check(got, 'llistxattr', path);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERANGE') throw e;
    }
  }
}

/** `mknod(2)`: mode carries the file type (S_IFCHR, S_IFIFO, …); dev is makedev(major, minor). */
export function mknod(path: string, mode: number, dev: number): void {
  check(fn('int mknod(const char *path, uint mode, uint64_t dev)')(path, mode, dev), 'mknod', path);
}

/** `syncfs(2)`: writes out the whole filesystem that holds `fd`. */
export function syncfs(fd: number): void {
  check(fn('int syncfs(int fd)')(fd), 'syncfs');
}
