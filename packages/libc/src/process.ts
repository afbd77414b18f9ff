import { syscall as SYS } from '@rootless-ts/constants';
import { errnoError } from './errors.js';
import { check, fn, lastErrno } from './library.js';
import { checkedSyscall, rawSyscall, sysno } from './syscall.js';

// ---- identity ---------------------------------------------------------------------------------

export function getpid(): number {
  return fn('int getpid()')();
}
export function getppid(): number {
  return fn('int getppid()')();
}
/** The calling thread's id (raw syscall: older glibc and musl lack the wrapper). */
export function gettid(): number {
  return rawSyscall(SYS.SYS_gettid);
}
export function getuid(): number {
  return fn('uint getuid()')();
}
export function geteuid(): number {
  return fn('uint geteuid()')();
}
export function getgid(): number {
  return fn('uint getgid()')();
}
export function getegid(): number {
  return fn('uint getegid()')();
}

// setresuid, setresgid and setgroups are raw syscalls on purpose. glibc's wrappers broadcast the
// change to every thread it knows (the SIGSETXID dance); in a clone(CLONE_VM) child, glibc's
// thread list is the parent's, so the wrapper would signal threads of another process. The
// kernel call changes the calling thread only, which is what a single-threaded container child
// wants. In an ordinary multi-threaded Node process it changes only the main thread's ids.

/** `setresuid(2)`; -1 leaves an id unchanged. Raw syscall: affects the calling thread only. */
export function setresuid(ruid: number, euid: number, suid: number): void {
  checkedSyscall('setresuid', sysno('SYS_setresuid'), [ruid >>> 0, euid >>> 0, suid >>> 0]);
}
/** `setresgid(2)`; -1 leaves an id unchanged. Raw syscall: affects the calling thread only. */
export function setresgid(rgid: number, egid: number, sgid: number): void {
  checkedSyscall('setresgid', sysno('SYS_setresgid'), [rgid >>> 0, egid >>> 0, sgid >>> 0]);
}
/** `setgroups(2)`. Raw syscall: affects the calling thread only. */
export function setgroups(groups: readonly number[]): void {
  const list = Uint32Array.from(groups);
  checkedSyscall('setgroups', sysno('SYS_setgroups'), [groups.length, new Uint8Array(list.buffer)]);
}
/** `getgroups(2)`: the supplementary group ids. */
export function getgroups(): number[] {
  const f = fn('int getgroups(int size, uint32_t *list)');
  for (;;) {
    const n = check(f(0, null), 'getgroups');
    const list = new Uint32Array(Math.max(n, 1));
    const got = f(n, list) as number;
    if (got >= 0) return Array.from(list.subarray(0, got));
    if (lastErrno() !== 22) throw errnoError(lastErrno(), 'getgroups'); // EINVAL: list grew, retry
  }
}

// ---- working directory and root ---------------------------------------------------------------

export function chdir(path: string): void {
  check(fn('int chdir(const char *path)')(path), 'chdir', path);
}
export function fchdir(fd: number): void {
  check(fn('int fchdir(int fd)')(fd), 'fchdir');
}
export function chroot(path: string): void {
  check(fn('int chroot(const char *path)')(path), 'chroot', path);
}

// ---- exec ---------------------------------------------------------------------------------------

/**
 * `execve(2)`: replaces the process image; returns only by throwing. Never call it from inside a
 * `clone()` callback of a Node process that must go on: it resumes with the callback's V8
 * state still open and aborts.
 */
export function execve(path: string, argv: readonly string[], envp: readonly string[]): never {
  fn('int execve(const char *path, const char **argv, const char **envp)')(
    path,
    [...argv, null],
    [...envp, null],
  );
  throw errnoError(lastErrno(), 'execve', path);
}

// ---- signals, pidfds --------------------------------------------------------------------------

/** `kill(2)`; signal 0 only checks that the process exists and may be signalled. */
export function kill(pid: number, signal: number): void {
  check(fn('int kill(int pid, int sig)')(pid, signal), 'kill');
}
/** `pidfd_open(2)` (raw syscall, Linux 5.3+). */
export function pidfdOpen(pid: number, flags = 0): number {
  return checkedSyscall('pidfd_open', SYS.SYS_pidfd_open, [pid, flags]);
}
/** `pidfd_send_signal(2)` (raw syscall, Linux 5.1+), without a siginfo. */
export function pidfdSendSignal(pidfd: number, signal: number, flags = 0): void {
  checkedSyscall('pidfd_send_signal', SYS.SYS_pidfd_send_signal, [pidfd, signal, null, flags]);
}

// ---- wait ---------------------------------------------------------------------------------------

export interface WaitResult {
  /** The reaped child, or 0 with WNOHANG when no child has changed state. */
  pid: number;
  /** The raw wait status. */
  status: number;
  exited: boolean;
  /** WEXITSTATUS when exited, else null. */
  exitCode: number | null;
  signaled: boolean;
  /** WTERMSIG when signaled, else null. */
  termSignal: number | null;
  coreDumped: boolean;
  stopped: boolean;
  /** WSTOPSIG when stopped, else null. */
  stopSignal: number | null;
  continued: boolean;
}

/** Decodes a wait status with the logic of glibc's W* macros. */
export function decodeWaitStatus(pid: number, status: number): WaitResult {
  const low = status & 0x7f;
  const exited = pid !== 0 && low === 0;
  // WIFSIGNALED: ((signed char)((status & 0x7f) + 1) >> 1) > 0, i.e. low is neither 0 nor 0x7f.
  const signaled = pid !== 0 && low !== 0 && low !== 0x7f;
  const stopped = pid !== 0 && (status & 0xff) === 0x7f;
  return {
    pid,
    status,
    exited,
    exitCode: exited ? (status >> 8) & 0xff : null,
    signaled,
    termSignal: signaled ? low : null,
    coreDumped: signaled && (status & 0x80) !== 0,
    stopped,
    stopSignal: stopped ? (status >> 8) & 0xff : null,
    continued: pid !== 0 && status === 0xffff,
  };
}

/**
 * `waitpid(2)`. Blocking (no WNOHANG) freezes the calling thread, event loop included; in a
 * Node program prefer WNOHANG from a SIGCHLD handler (`process.on('SIGCHLD')` works).
 */
export function waitpid(pid: number, options = 0): WaitResult {
  const status = new Int32Array(1);
  const ret = check(
    fn('int waitpid(int pid, int *status, int options)')(pid, status, options),
    'waitpid',
  );
  return decodeWaitStatus(ret, ret === 0 ? 0 : status[0]!);
}

// ---- prctl, sessions ----------------------------------------------------------------------------

/** `prctl(2)`; unused arguments are 0. Returns the call's result (some options return values). */
export function prctl(
  option: number,
  arg2: number | bigint = 0,
  arg3: number | bigint = 0,
  arg4: number | bigint = 0,
  arg5: number | bigint = 0,
): number {
  // Variadic in C; every argument goes as an unsigned long, as the kernel reads them.
  const ulong = (v: number | bigint) => BigInt.asUintN(64, BigInt(v));
  return check(
    fn('int prctl(int option, ...)')(
      option,
      'unsigned long',
      ulong(arg2),
      'unsigned long',
      ulong(arg3),
      'unsigned long',
      ulong(arg4),
      'unsigned long',
      ulong(arg5),
    ),
    'prctl',
  );
}

export function setsid(): number {
  return check(fn('int setsid()')(), 'setsid');
}
export function setpgid(pid: number, pgid: number): void {
  check(fn('int setpgid(int pid, int pgid)')(pid, pgid), 'setpgid');
}
export function getpgrp(): number {
  return fn('int getpgrp()')();
}
/** `tcsetpgrp(3)`: makes `pgrp` the terminal's foreground process group. */
export function tcsetpgrp(fd: number, pgrp: number): void {
  check(fn('int tcsetpgrp(int fd, int pgrp)')(fd, pgrp), 'tcsetpgrp');
}
