import { syscall as SYS } from '@rootless-ts/constants';
import { check, fn } from './library.js';

/** A raw syscall argument: integers go as `long`, strings as `char *`, buffers as `void *`. */
export type SyscallArg = number | bigint | string | Uint8Array | null;

/**
 * `long syscall(long number, ...)`, declared variadic as libc declares it. Every extra argument
 * is passed with an explicit full-register type (`long` or a pointer), never a narrower `int`,
 * so the kernel sees clean 64-bit registers. On x86_64 the variadic call only adds %al = 0
 * (no vector registers); on aarch64 Linux (AAPCS64, unlike Apple's) variadic arguments travel
 * in the same registers as named ones, so this is correct on both.
 */
export function rawSyscall(nr: number, ...args: SyscallArg[]): number {
  const typed: unknown[] = [nr];
  // Indexed, not for-of: without an optimizing compiler (the rootless CLI runs with --no-opt),
  // every step of for-of allocates an iterator result.
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'number' || typeof a === 'bigint') typed.push('long', a);
    else if (typeof a === 'string') typed.push('const char *', a);
    else typed.push('void *', a);
  }
  return fn('long syscall(long number, ...)').apply(undefined, typed) as number;
}

/** rawSyscall that throws an ErrnoError when the result is -1. */
export function checkedSyscall(
  name: string,
  nr: number,
  args: SyscallArg[],
  path?: string,
  dest?: string,
): number {
  return check(rawSyscall(nr, ...args), name, path, dest);
}

/**
 * The syscall number of `name` (e.g. 'SYS_setresuid') for this architecture, from
 * @rootless-ts/constants. Kept for process.ts's callers; new code can use `SYS.SYS_*` directly.
 */
export function sysno(name: keyof typeof SYS): number {
  return SYS[name];
}
