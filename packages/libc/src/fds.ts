import { errno as E, fcntl as F, syscall as SYS } from '@rootless-ts/constants';
import { errnoError, isErrnoError } from './errors.js';
import { check, fn } from './library.js';
import { layout, readField, writeField } from './structs.js';
import { checkedSyscall } from './syscall.js';

/** `open(2)`; mode matters only with O_CREAT or O_TMPFILE. */
export function open(path: string, flags: number, mode = 0): number {
  return openAt(F.AT_FDCWD, path, flags, mode, 'open');
}

/** `openat(2)`. */
export function openat(dirfd: number, path: string, flags: number, mode = 0): number {
  return openAt(dirfd, path, flags, mode, 'openat');
}

function openAt(dirfd: number, path: string, flags: number, mode: number, name: string): number {
  // openat is variadic in C; the mode goes as an unsigned int, as va_arg reads it.
  return check(
    fn('int openat(int dirfd, const char *path, int flags, ...)')(dirfd, path, flags, 'uint', mode),
    name,
    path,
  );
}

export interface OpenHow {
  flags: number;
  mode?: number;
  /** RESOLVE_* bits (RESOLVE_IN_ROOT, RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS, …). */
  resolve: number;
}

/** `openat2(2)` (raw syscall, Linux 5.6+), with struct open_how built from the constants' layout. */
export function openat2(dirfd: number, path: string, how: OpenHow): number {
  const l = layout('open_how');
  const buf = Buffer.alloc(l.size);
  writeField(buf, l, 'flags', how.flags);
  writeField(buf, l, 'mode', how.mode ?? 0);
  writeField(buf, l, 'resolve', how.resolve);
  return checkedSyscall('openat2', SYS.SYS_openat2, [dirfd, path, buf, l.size], path);
}

/** `close(2)`. */
export function close(fd: number): void {
  check(fn('int close(int fd)')(fd), 'close');
}

/** `close_range(2)` (raw syscall, Linux 5.9+): closes (or with CLOSE_RANGE_CLOEXEC marks) first..last. */
export function closeRange(first: number, last = 0xffffffff, flags = 0): void {
  checkedSyscall('close_range', SYS.SYS_close_range, [first, last, flags]);
}

/** `dup3(2)`: flags is 0 or O_CLOEXEC. */
export function dup3(oldfd: number, newfd: number, flags = 0): number {
  return check(fn('int dup3(int oldfd, int newfd, int flags)')(oldfd, newfd, flags), 'dup3');
}

/** `fcntl(2)` with an integer argument (F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC, …). */
export function fcntl(fd: number, cmd: number, arg: number = 0): number {
  return check(fn('int fcntl(int fd, int cmd, ...)')(fd, cmd, 'long', arg), 'fcntl');
}

/** `pipe2(2)`: returns [read end, write end]. */
export function pipe2(flags = 0): [number, number] {
  const fds = new Int32Array(2);
  check(fn('int pipe2(int *fds, int flags)')(fds, flags), 'pipe2');
  return [fds[0]!, fds[1]!];
}

/** `socketpair(2)`: returns both ends. */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  const fds = new Int32Array(2);
  check(
    fn('int socketpair(int domain, int type, int protocol, int *fds)')(domain, type, protocol, fds),
    'socketpair',
  );
  return [fds[0]!, fds[1]!];
}

/** `read(2)` into `buf` (up to `length` bytes, default its size); returns the count, 0 at EOF. */
export function read(fd: number, buf: Uint8Array, length = buf.byteLength): number {
  if (length > buf.byteLength) throw new RangeError('read: length exceeds the buffer');
  return check(fn('intptr_t read(int fd, void *buf, size_t count)')(fd, buf, length), 'read');
}

export interface PollRequest {
  fd: number;
  /** POLLIN, … (constants' fcntl group). */
  events: number;
}

/**
 * `poll(2)`: waits up to `timeoutMs` (-1: without limit) until one of the descriptors has one of
 * its events (or POLLHUP, POLLERR); returns each one's revents, all 0 when the time ran out.
 */
export function poll(fds: readonly PollRequest[], timeoutMs: number): number[] {
  const l = layout('pollfd');
  const buf = Buffer.alloc(l.size * fds.length);
  for (const [i, p] of fds.entries()) {
    const one = buf.subarray(i * l.size, (i + 1) * l.size);
    writeField(one, l, 'fd', p.fd);
    writeField(one, l, 'events', p.events);
  }
  check(
    fn('int poll(void *fds, unsigned long nfds, int timeout)')(buf, fds.length, timeoutMs),
    'poll',
  );
  return fds.map((_, i) =>
    Number(readField(buf.subarray(i * l.size, (i + 1) * l.size), l, 'revents')),
  );
}

/**
 * What a non-blocking descriptor holds now: reads until it would block (EAGAIN) or ends, and
 * returns the bytes (empty when there was nothing). For a pipe read once its writer is done, or
 * now and then, without an event loop; a reader that could wait uses a stream.
 */
export function readAvailable(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  for (;;) {
    let n: number;
    try {
      n = read(fd, buf);
    } catch (e) {
      // A process it started may hold the pipe open: what is there is all there is.
      if (isErrnoError(e, 'EAGAIN')) break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/** `write(2)` of a buffer or a UTF-8 string; returns the count written (may be short). */
export function write(fd: number, data: Uint8Array | string): number {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  return check(
    fn('intptr_t write(int fd, const void *buf, size_t count)')(fd, buf, buf.byteLength),
    'write',
  );
}

/**
 * `ioctl(2)`. A number goes by value (as a `long`), a buffer by pointer (the kernel reads or
 * fills it in place). Returns the call's non-negative result.
 */
export function ioctl(fd: number, request: number, arg: number | bigint | Uint8Array = 0): number {
  const f = fn('int ioctl(int fd, unsigned long request, ...)');
  const ret =
    typeof arg === 'number' || typeof arg === 'bigint'
      ? f(fd, request, 'long', arg)
      : f(fd, request, 'void *', arg);
  return check(ret, 'ioctl');
}

/** `isatty(3)`: false (not an error) for descriptors that are not terminals. */
export function isatty(fd: number): boolean {
  return fn('int isatty(int fd)')(fd) === 1;
}

/** `readlink(2)`: the link's target as a string. */
export function readlink(path: string): string {
  let size = 4096;
  for (;;) {
    const buf = Buffer.alloc(size);
    const n = check(
      fn('intptr_t readlink(const char *path, void *buf, size_t size)')(path, buf, size),
      'readlink',
      path,
    );
    if (n < size) return buf.toString('utf8', 0, n);
    size *= 2;
    if (size > 1 << 20) throw errnoError(E.ENAMETOOLONG, 'readlink', path);
  }
}
