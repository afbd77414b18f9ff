import type { ErrnoError } from '../src/index.js';

/** The error a call throws (the test fails if it does not throw). */
export function thrown(f: () => unknown): ErrnoError {
  try {
    f();
  } catch (e) {
    return e as ErrnoError;
  }
  throw new Error('expected a throw');
}
