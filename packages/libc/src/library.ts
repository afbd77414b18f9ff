import koffi, { type LibraryHandle } from 'koffi';
import { errnoError } from './errors.js';

/**
 * The C library is found by soname so the same code runs on glibc and musl. Nothing is loaded
 * or declared until the first call: importing this package only loads koffi itself.
 */
function candidates(): string[] {
  const arch =
    process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  return ['libc.so.6', `libc.musl-${arch}.so.1`, `ld-musl-${arch}.so.1`, 'libc.so'];
}

let handle: LibraryHandle | undefined;

/** The loaded C library (loaded on first use). */
export function libc(): LibraryHandle {
  if (handle) return handle;
  const failures: string[] = [];
  for (const name of candidates()) {
    try {
      handle = koffi.load(name);
      return handle;
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`@rootless-ts/libc: cannot load the C library (tried ${failures.join('; ')})`);
}

// biome-ignore lint/suspicious/noExplicitAny: koffi's functions are untyped; each wrapper types its use.
export type NativeFunction = (...args: any[]) => any;

const functions = new Map<string, NativeFunction>();

/** A libc function from a C-like prototype, declared once on first use. */
export function fn(prototype: string): NativeFunction {
  let f = functions.get(prototype);
  if (!f) {
    f = libc().func(prototype) as NativeFunction;
    functions.set(prototype, f);
  }
  return f;
}

/** The errno koffi saved right after the last native call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

/** Returns `ret`, or throws an ErrnoError built from errno when `ret` is -1 (any negative). */
export function check(ret: number, syscall: string, path?: string, dest?: string): number {
  if (ret < 0) throw errnoError(koffi.errno(), syscall, path, dest);
  return ret;
}
