/** The handshake step at which starting a process failed. */
export type SpawnStep =
  | 'options'
  | 'launcher'
  | 'handshake'
  | 'clone'
  | 'idmap'
  | 'identity'
  | 'join'
  | 'hostname'
  | 'setup'
  | 'credentials'
  | 'chdir'
  | 'exec';

/** An error as it crosses the channel between child, launcher and parent: plain data. */
export interface SerializedError {
  step: SpawnStep;
  message: string;
  errno?: number;
  code?: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

/**
 * Starting a process in new namespaces failed. `step` says where; errno, code, syscall and
 * path are set when a system call failed, as in Node's own errors.
 */
export class SpawnError extends Error {
  readonly step: SpawnStep;
  readonly errno?: number;
  readonly code?: string;
  readonly syscall?: string;
  readonly path?: string;
  readonly dest?: string;

  constructor(e: SerializedError, options?: { cause?: unknown }) {
    super(`${e.step}: ${e.message}`, options);
    this.name = 'SpawnError';
    this.step = e.step;
    if (e.errno !== undefined) this.errno = e.errno;
    if (e.code !== undefined) this.code = e.code;
    if (e.syscall !== undefined) this.syscall = e.syscall;
    if (e.path !== undefined) this.path = e.path;
    if (e.dest !== undefined) this.dest = e.dest;
  }
}

/** Turns anything thrown into the plain data that can cross the channel. */
export function serializeError(step: SpawnStep, err: unknown): SerializedError {
  if (err instanceof SpawnError)
    return { ...pick(err), step: err.step, message: err.message.replace(/^\w+: /, '') };
  const e = err as Partial<SerializedError> & { message?: unknown; step?: unknown };
  const out: SerializedError = {
    step: typeof e?.step === 'string' ? (e.step as SpawnStep) : step,
    message: typeof e?.message === 'string' ? e.message : String(err),
  };
  return { ...out, ...pick(e) };
}

function pick(e: Partial<SerializedError>): Partial<SerializedError> {
  const out: Partial<SerializedError> = {};
  if (typeof e.errno === 'number') out.errno = e.errno;
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.syscall === 'string') out.syscall = e.syscall;
  if (typeof e.path === 'string') out.path = e.path;
  if (typeof e.dest === 'string') out.dest = e.dest;
  return out;
}
