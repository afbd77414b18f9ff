import { formatErrorChain, RootlessTsError } from '@rootless-ts/libc';

/** Exit status of `rootless` itself when its own setup fails (podman and docker use 125 too). */
export const SETUP_FAILED = 125;

/**
 * A failure of `rootless` itself (not of the command it runs): `what` failed because of `why`,
 * or because of `cause` (the error it wraps), whose chain of context then says why.
 * Printed as the one line `rootless: <what>: <why>`.
 */
export class RootlessError extends RootlessTsError {
  override readonly name: string = 'RootlessError';
  readonly what: string;
  readonly why: string;
  readonly status: number;

  constructor(what: string, why: string | { cause: unknown }, status: number = SETUP_FAILED) {
    const reason = typeof why === 'string' ? why : formatErrorChain(why.cause);
    super(`${what}: ${reason}`, typeof why === 'string' ? {} : { cause: why.cause });
    this.what = what;
    this.why = reason;
    this.status = status;
  }
}

/** The one line printed for an error: `rootless: <what failed>: <why>` (no newline inside). */
export function errorLine(e: unknown): string {
  const text = e instanceof RootlessError ? `${e.what}: ${e.why}` : formatErrorChain(e);
  return `rootless: ${text.replace(/\s*\n\s*/g, ' ')}`;
}
