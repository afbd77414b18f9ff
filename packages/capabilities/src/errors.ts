import { errnoFields, RootlessTsError } from '@rootless-ts/libc';

/**
 * Errors of @rootless-ts/capabilities. CapTextError is a text that cap_from_text would refuse;
 * CapabilityError is everything else (an unknown capability, a refused system call, whose
 * ErrnoError from @rootless-ts/libc is kept as `cause` and whose code is copied).
 */
export class CapabilityError extends RootlessTsError {
  override readonly name: string = 'CapabilityError';
  // code, errno, syscall, path: those of the failed system call (copied from `cause`), when
  // one failed; absent otherwise (RootlessTsError, the base error of every package).
  // `code` alone (no cause): one of this package's documented codes, e.g. ERR_BAD_CAPABILITY.
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { ...errnoFields(options.cause), ...options });
  }
}

/** A capability text that does not parse; `position` is the 0-based offset of the problem. */
export class CapTextError extends CapabilityError {
  override readonly name: string = 'CapTextError';
  constructor(
    readonly text: string,
    readonly position: number,
    reason: string,
  ) {
    super(`invalid capability text at ${position}: ${reason}: ${JSON.stringify(text)}`);
  }
}
