/**
 * The one error type of this package. Plans and volume specs fail before anything is mounted
 * (`op` is 'volume' or 'plan'); the apply layer fails with the operation that was being applied,
 * the path it was working on, and the errno code of the failing call when there was one.
 */
export class MountError extends Error {
  override readonly name = 'MountError';
  /** What was being done: a MountOp kind ('bind', 'mount', 'pivotRoot', ...), 'volume' or 'plan'. */
  readonly op: string;
  /** The path the failure is about (a container path for targets, a host path for sources). */
  readonly path: string | undefined;
  /** errno name of the failing system call ('EPERM', 'ENOENT', ...), when one failed. */
  readonly code: string | undefined;
  /** errno number of the failing system call, when one failed. */
  readonly errno: number | undefined;
  /** Name of the failing system call, when one failed. */
  readonly syscall: string | undefined;

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
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.op = op;
    this.path = details.path;
    this.code = details.code;
    this.errno = details.errno;
    this.syscall = details.syscall;
  }
}

/** True when `e` is a MountError (optionally with this errno code). */
export function isMountError(e: unknown, code?: string): e is MountError {
  return e instanceof MountError && (code === undefined || e.code === code);
}
