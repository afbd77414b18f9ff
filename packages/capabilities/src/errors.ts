/**
 * Errors of @rootless-ts/capabilities. CapTextError is a text that cap_from_text would refuse;
 * CapabilityError is everything else (an unknown capability, a refused system call, whose
 * ErrnoError from @rootless-ts/libc is kept as `cause` and whose code is copied).
 */
export class CapabilityError extends Error {
  override readonly name: string = 'CapabilityError';
  /** The errno code ('EPERM', 'EINVAL', …) when a system call failed. */
  readonly code: string | undefined;
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}

/** A capability text that does not parse; `position` is the 0-based offset of the problem. */
export class CapTextError extends CapabilityError {
  override readonly name = 'CapTextError';
  constructor(
    readonly text: string,
    readonly position: number,
    reason: string,
  ) {
    super(`invalid capability text at ${position}: ${reason}: ${JSON.stringify(text)}`);
  }
}
