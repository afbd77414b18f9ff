import {
  type ErrnoFields,
  errnoFields,
  formatErrorChain,
  RootlessTsError,
} from '@rootless-ts/libc';
import type { SpawnStep } from './step-names.js';

export type { SpawnStep };

/**
 * An error as it crosses the channel between child, launcher and parent: plain data. `message`
 * is the sender's whole chain of context as one line ("what: why: …").
 */
export interface SerializedError extends ErrnoFields {
  step: SpawnStep;
  message: string;
}

/**
 * Starting a process in new namespaces failed. `step` says where, `detail` what went wrong
 * there (the message is "step: detail"); errno, code, syscall, path and dest are those of the
 * system call that failed, as in Node's own errors. `cause` is the error this one wraps when it
 * was thrown in this process (an error from the child arrives as its one-line chain, `detail`).
 */
export class SpawnError extends RootlessTsError {
  override readonly name: string = 'SpawnError';
  readonly step: SpawnStep;
  readonly detail: string;

  constructor(e: SerializedError, options?: { cause?: unknown }) {
    super(`${e.step}: ${e.message}`, {
      ...errnoFields(e),
      ...(options?.cause !== undefined ? { cause: options.cause } : {}),
    });
    this.step = e.step;
    this.detail = e.message;
  }
}

/** Turns anything thrown into the plain data that can cross the channel. */
export function serializeError(step: SpawnStep, err: unknown): SerializedError {
  if (err instanceof SpawnError)
    return { ...errnoFields(err), step: err.step, message: err.detail };
  return { ...errnoFields(err), step, message: formatErrorChain(err) };
}

/** A SpawnError at `step` that wraps `cause`, saying `context` before the cause's own chain. */
export function spawnError(
  step: SpawnStep,
  cause: unknown,
  context?: string,
  fields: ErrnoFields = {},
): SpawnError {
  const why = formatErrorChain(cause);
  return new SpawnError(
    { ...errnoFields(cause), ...fields, step, message: context ? `${context}: ${why}` : why },
    { cause },
  );
}
