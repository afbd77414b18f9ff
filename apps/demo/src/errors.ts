/** Exit status of `rootless` itself when its own setup fails (podman and docker use 125 too). */
export const SETUP_FAILED = 125;

/**
 * A failure of `rootless` itself (not of the command it runs): `what` failed because of `why`.
 * Printed as the one line `rootless: <what>: <why>`.
 */
export class RootlessError extends Error {
  constructor(
    readonly what: string,
    readonly why: string,
    readonly status: number = SETUP_FAILED,
  ) {
    super(`${what}: ${why}`);
    this.name = 'RootlessError';
  }
}

/** The one line printed for an error: `rootless: <what failed>: <why>` (no newline inside). */
export function errorLine(e: unknown): string {
  const text =
    e instanceof RootlessError ? `${e.what}: ${e.why}` : e instanceof Error ? e.message : String(e);
  return `rootless: ${text.replace(/\s*\n\s*/g, ' ')}`;
}
