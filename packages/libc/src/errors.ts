import { errnoMessage, errnoName } from '@rootless-ts/constants';

const names = errnoName as unknown as Readonly<Record<number, string | undefined>>;
const messages = errnoMessage as unknown as Readonly<Record<string, string | undefined>>;

/**
 * A failed libc call, shaped like Node's own system errors (`fs.openSync` & co): `errno` is the
 * positive C errno value (Node's is negated), `code` its macro name, `syscall` the call's name.
 */
export class ErrnoError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  // `declare`: absent (not undefined) own properties when there is no path, as in Node's errors.
  declare readonly path?: string;
  declare readonly dest?: string;

  constructor(errno: number, syscall: string, path?: string, dest?: string) {
    const code = names[errno] ?? 'UNKNOWN';
    const text = messages[code] ?? `unknown error ${errno}`;
    let message = `${code}: ${text}, ${syscall}`;
    if (path !== undefined) message += ` '${path}'`;
    if (dest !== undefined) message += ` -> '${dest}'`;
    super(message);
    this.name = 'ErrnoError';
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
    if (dest !== undefined) this.dest = dest;
  }
}

/** Builds an ErrnoError (for callers that issue calls of their own or rethrow data as errors). */
export function errnoError(
  errno: number,
  syscall: string,
  path?: string,
  dest?: string,
): ErrnoError {
  return new ErrnoError(errno, syscall, path, dest);
}

/** True when `e` is an ErrnoError, and when `code` is given, one with that code. */
export function isErrnoError(e: unknown, code?: string): e is ErrnoError {
  return e instanceof ErrnoError && (code === undefined || e.code === code);
}
