import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  clone as C,
  errno,
  fcntl as F,
  ioctl as IO,
  resolve as R,
  socket,
} from '@rootless-ts/constants';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  close,
  closeRange,
  dup3,
  fcntl,
  ioctl,
  isatty,
  open,
  openat2,
  pipe2,
  poll,
  read,
  readAvailable,
  readlink,
  socketpair,
  write,
} from '../src/index.js';
import { thrown } from './helpers.js';

function readString(fd: number): string {
  const buf = Buffer.alloc(256);
  const n = read(fd, buf);
  return buf.toString('utf8', 0, n);
}

describe('descriptors', () => {
  it('pipe2, write and read round trip; EOF after the write end closes', () => {
    const [r, w] = pipe2(F.O_CLOEXEC);
    expect(write(w, 'hello')).toBe(5);
    expect(write(w, Buffer.from(' world'))).toBe(6);
    expect(readString(r)).toBe('hello world');
    close(w);
    expect(read(r, Buffer.alloc(8))).toBe(0);
    close(r);
  });

  it('poll: nothing within the time, then POLLIN for data, then POLLHUP for the closed end', () => {
    const [r, w] = pipe2(F.O_CLOEXEC);
    const [r2, w2] = pipe2(F.O_CLOEXEC);
    const started = Date.now();
    expect(poll([{ fd: r, events: F.POLLIN }], 30)).toEqual([0]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    write(w2, 'x');
    // Only the second pipe is ready; each entry has its own revents.
    expect(
      poll(
        [
          { fd: r, events: F.POLLIN },
          { fd: r2, events: F.POLLIN },
        ],
        1000,
      ),
    ).toEqual([0, F.POLLIN]);
    close(w);
    expect(poll([{ fd: r, events: F.POLLIN }], 1000)[0]! & F.POLLHUP).toBe(F.POLLHUP);
    for (const fd of [r, r2, w2]) close(fd);
  });

  it('readAvailable: what a non-blocking pipe holds now, without waiting', () => {
    const [r, w] = pipe2(F.O_CLOEXEC | F.O_NONBLOCK);
    expect(readAvailable(r)).toHaveLength(0);
    write(w, 'x'.repeat(10_000));
    expect(readAvailable(r).toString()).toBe('x'.repeat(10_000));
    write(w, 'last words');
    close(w);
    expect(readAvailable(r).toString()).toBe('last words');
    close(r);
  });

  it('read honours a length and a subarray', () => {
    const [r, w] = pipe2();
    write(w, 'abcdef');
    const buf = Buffer.alloc(8, '.');
    expect(read(r, buf.subarray(2), 3)).toBe(3);
    expect(buf.toString()).toBe('..abc...');
    expect(() => read(r, Buffer.alloc(2), 3)).toThrow(RangeError);
    close(r);
    close(w);
  });

  it('O_CLOEXEC and dup3 flags show in F_GETFD; F_SETFD clears them', () => {
    const [r, w] = pipe2(F.O_CLOEXEC);
    expect(fcntl(r, F.F_GETFD) & F.FD_CLOEXEC).toBe(F.FD_CLOEXEC);
    const plain = dup3(r, 900, 0);
    expect(plain).toBe(900);
    expect(fcntl(plain, F.F_GETFD) & F.FD_CLOEXEC).toBe(0);
    const cloexec = dup3(r, 901, F.O_CLOEXEC);
    expect(fcntl(cloexec, F.F_GETFD) & F.FD_CLOEXEC).toBe(F.FD_CLOEXEC);
    fcntl(cloexec, F.F_SETFD, 0);
    expect(fcntl(cloexec, F.F_GETFD)).toBe(0);
    expect(fcntl(w, F.F_GETFL) & F.O_ACCMODE).toBe(F.O_WRONLY);
    // close_range closes both duplicates at once.
    closeRange(900, 901);
    expect(thrown(() => fcntl(900, F.F_GETFD)).code).toBe('EBADF');
    expect(thrown(() => fcntl(901, F.F_GETFD)).code).toBe('EBADF');
    close(r);
    close(w);
  });

  it('close of a bad descriptor throws EBADF', () => {
    const e = thrown(() => close(987_654));
    expect(e.errno).toBe(errno.EBADF);
    expect(e.message).toBe('EBADF: bad file descriptor, close');
  });

  it('socketpair round trip in both directions', () => {
    const [a, b] = socketpair(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC, 0);
    write(a, 'ping');
    expect(readString(b)).toBe('ping');
    write(b, 'pong');
    expect(readString(a)).toBe('pong');
    close(a);
    close(b);
  });

  it('readlink and isatty', () => {
    expect(readlink('/proc/self')).toBe(String(process.pid));
    const [r, w] = pipe2(F.O_CLOEXEC);
    expect(isatty(r)).toBe(false);
    close(r);
    close(w);
    expect(thrown(() => readlink('/nonexistent/x')).code).toBe('ENOENT');
  });
});

describe('ioctl', () => {
  it('fills a buffer (FIONREAD), takes a number (FIOCLEX) and returns values (NS_GET_NSTYPE)', () => {
    const [r, w] = pipe2();
    write(w, 'hello');
    const count = Buffer.alloc(4);
    expect(ioctl(r, IO.FIONREAD, count)).toBe(0);
    expect(count.readInt32LE(0)).toBe(5);
    expect(fcntl(r, F.F_GETFD)).toBe(0);
    ioctl(r, IO.FIOCLEX);
    expect(fcntl(r, F.F_GETFD)).toBe(F.FD_CLOEXEC);
    const e = thrown(() => ioctl(r, IO.TIOCGWINSZ, Buffer.alloc(8)));
    expect(e.code).toBe('ENOTTY');
    expect(e.syscall).toBe('ioctl');
    close(r);
    close(w);
    const ns = open('/proc/self/ns/user', F.O_RDONLY | F.O_CLOEXEC);
    expect(ioctl(ns, IO.NS_GET_NSTYPE)).toBe(C.CLONE_NEWUSER);
    close(ns);
  });

  it('a pty master from /dev/ptmx: a terminal with a number', () => {
    const master = open('/dev/ptmx', F.O_RDWR | F.O_NOCTTY | F.O_CLOEXEC);
    expect(isatty(master)).toBe(true);
    const n = Buffer.alloc(4);
    ioctl(master, IO.TIOCGPTN, n);
    ioctl(master, IO.TIOCSPTLCK, Buffer.alloc(4)); // unlock
    const slave = open(`/dev/pts/${n.readUInt32LE(0)}`, F.O_RDWR | F.O_NOCTTY | F.O_CLOEXEC);
    expect(isatty(slave)).toBe(true);
    const ws = Buffer.alloc(8);
    ws.writeUInt16LE(24, 0);
    ws.writeUInt16LE(80, 2);
    ioctl(master, IO.TIOCSWINSZ, ws);
    const got = Buffer.alloc(8);
    ioctl(slave, IO.TIOCGWINSZ, got);
    expect([got.readUInt16LE(0), got.readUInt16LE(2)]).toEqual([24, 80]);
    close(slave);
    close(master);
  });
});

describe('openat2', () => {
  let dir: string;
  let dirfd: number;
  beforeAll(() => {
    // dir/link -> /etc (absolute symlink), dir/sub/ ; the host's /etc/passwd exists.
    dir = mkdtempSync(join(tmpdir(), 'libc-openat2-'));
    mkdirSync(join(dir, 'sub'));
    symlinkSync('/etc', join(dir, 'link'));
    dirfd = open(dir, F.O_PATH | F.O_DIRECTORY | F.O_CLOEXEC);
  });
  afterAll(() => {
    close(dirfd);
    rmSync(dir, { recursive: true, force: true });
  });

  const how = (resolve: number) => ({ flags: F.O_RDONLY | F.O_CLOEXEC, resolve });

  it('without RESOLVE flags, link/passwd is the host /etc/passwd (the escape the flags stop)', () => {
    const fd = openat2(dirfd, 'link/passwd', how(0));
    expect(readString(fd)).toMatch(/^root:/);
    close(fd);
  });

  it('RESOLVE_IN_ROOT resolves an absolute symlink and .. inside the directory', () => {
    for (const path of [
      'link/passwd',
      '../../../etc/passwd',
      'sub/../../etc/passwd',
      '/etc/passwd',
    ]) {
      const e = thrown(() => openat2(dirfd, path, how(R.RESOLVE_IN_ROOT)));
      expect(e.code, path).toBe('ENOENT');
      expect(e.syscall).toBe('openat2');
      expect(e.path).toBe(path);
    }
    // Give the directory its own etc/passwd: the same paths now open it, not the host's.
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc', 'passwd'), 'inside\n');
    try {
      for (const path of ['link/passwd', '../../../etc/passwd', '/etc/passwd']) {
        const fd = openat2(dirfd, path, how(R.RESOLVE_IN_ROOT));
        expect(readString(fd), path).toBe('inside\n');
        close(fd);
      }
    } finally {
      rmSync(join(dir, 'etc'), { recursive: true });
    }
  });

  it('RESOLVE_BENEATH refuses to leave the directory with EXDEV', () => {
    for (const path of ['link/passwd', '../etc/passwd', 'sub/../../etc/passwd', '/etc/passwd']) {
      expect(thrown(() => openat2(dirfd, path, how(R.RESOLVE_BENEATH))).code, path).toBe('EXDEV');
    }
    const fd = openat2(dirfd, 'sub', { flags: F.O_PATH | F.O_CLOEXEC, resolve: R.RESOLVE_BENEATH });
    close(fd);
  });

  it('RESOLVE_NO_SYMLINKS refuses a symlink with ELOOP', () => {
    const e = thrown(() => openat2(dirfd, 'link/passwd', how(R.RESOLVE_NO_SYMLINKS)));
    expect(e.code).toBe('ELOOP');
    expect(e.errno).toBe(errno.ELOOP);
  });
});
