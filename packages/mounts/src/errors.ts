import { RootlessTsError } from '@rootless-ts/libc';

/**
 * The one error type of this package. Plans and volume specs fail before anything is mounted
 * (`op` is 'volume' or 'plan'); the apply layer fails with the operation that was being applied,
 * the path it was working on, and the errno code of the failing call when there was one.
 */
export class MountError extends RootlessTsError {
  override readonly name: string = 'MountError';
  /** What was being done: a MountOp kind ('bind', 'mount', 'pivotRoot', ...), 'volume' or 'plan'. */
  readonly op: string;
  // path: the path the failure is about (a container path for targets, a host path for
  // sources); code, errno, syscall: those of the failing system call, when one failed (from
  // RootlessTsError, the base error of every package).

  constructor(
    op: string,
    message: string,
    details: {
      path?: string;
      code?: string;
      errno?: number;
      syscall?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, details);
    this.op = op;
  }
}

/** True when `e` is a MountError (optionally with this errno code). */
export function isMountError(e: unknown, code?: string): e is MountError {
  return e instanceof MountError && (code === undefined || e.code === code);
}
