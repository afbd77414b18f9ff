import { errnoMessage, errnoName } from '@rootless-ts/constants';

const names = errnoName as unknown as Readonly<Record<number, string | undefined>>;
const messages = errnoMessage as unknown as Readonly<Record<string, string | undefined>>;

/** The fields a failed system call leaves on an error, as Node's own system errors carry them. */
export interface ErrnoFields {
  /** The positive C errno value (Node's own errors carry it negated). */
  errno?: number;
  /** The errno's macro name ('EPERM'), or a documented code of the package that threw. */
  code?: string;
  /** The system call that failed. */
  syscall?: string;
  /** The path the call was about, and the second one (rename, mount target) when there was one. */
  path?: string;
  dest?: string;
}

/**
 * The one base error of rootless-ts. Its message says only what this layer was doing
 * ("mounting /proc", "switching to uid 1100"); what went wrong below is its `cause`, an error
 * of its own, and so on down to the system call: the chain crun builds with crun_error_wrap,
 * and Rust with `source()`. errno, code, syscall, path and dest are those of the system call
 * that failed, copied up the chain so that a caller can branch on `code` at any level.
 *
 * `code` holds either an errno name (then `errno` is set too) or a documented code of the
 * package that threw ('ERR_…'), never an errno name for something that is not an errno.
 */
export class RootlessTsError extends Error {
  declare readonly errno?: number;
  declare readonly code?: string;
  declare readonly syscall?: string;
  declare readonly path?: string;
  declare readonly dest?: string;

  constructor(message: string, fields: ErrnoFields & { cause?: unknown } = {}) {
    const { cause, ...rest } = fields;
    super(message, cause === undefined ? undefined : { cause });
    // Each class of the packages names itself (its `name` field): a minifier renames classes,
    // and the rootless CLI's bundle is minified. A class of yours that extends this one gets its
    // own class name here.
    this.name = new.target === RootlessTsError ? 'RootlessTsError' : new.target.name;
    // Absent (not undefined) own properties when not given, as in Node's errors.
    Object.assign(this, errnoFields(rest));
  }
}

/**
 * Copies the system call fields of anything thrown (a RootlessTsError, a Node system error, a
 * plain object), with errno made positive; nothing for what carries none. The one place that
 * reads them: every package wraps errors through this.
 */
export function errnoFields(e: unknown): ErrnoFields {
  const x = e as Partial<Record<keyof ErrnoFields, unknown>> | null | undefined;
  const out: ErrnoFields = {};
  if (x === null || typeof x !== 'object') return out;
  if (typeof x.errno === 'number') out.errno = Math.abs(x.errno);
  if (typeof x.code === 'string') out.code = x.code;
  if (typeof x.syscall === 'string') out.syscall = x.syscall;
  if (typeof x.path === 'string') out.path = x.path;
  if (typeof x.dest === 'string') out.dest = x.dest;
  return out;
}

/**
 * Wraps `e` with what the caller was doing: a RootlessTsError whose message is `context`, whose
 * cause is `e`, and which carries e's system call fields (overridden by `fields`).
 */
export function wrapError(e: unknown, context: string, fields: ErrnoFields = {}): RootlessTsError {
  return new RootlessTsError(context, { ...errnoFields(e), ...fields, cause: e });
}

/** The error and its causes, outermost first (stops at a cycle or after 32 links). */
export function errorChain(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let x = e; x !== undefined && out.length < 32 && !out.includes(x); ) {
    out.push(x);
    x = x instanceof Error ? x.cause : undefined;
  }
  return out;
}

/**
 * The chain as one line, "outer: inner: … : root cause", each message once: a message that
 * already ends with its cause's message (older errors that baked it in) does not repeat it.
 */
export function formatErrorChain(e: unknown): string {
  const parts = errorChain(e).map((x) =>
    (x instanceof Error ? x.message : String(x)).replace(/\s*\n\s*/g, ' ').trim(),
  );
  const kept: string[] = [];
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i]!;
    const inner = kept.join(': ');
    if (p === '') continue;
    if (inner !== '' && p.endsWith(inner)) {
      // The outer one already says it: keep the outer wording, drop the repeat.
      const head = p.slice(0, p.length - inner.length).replace(/[:\s]+$/, '');
      if (head !== '') kept.unshift(head);
      continue;
    }
    kept.unshift(p);
  }
  return kept.join(': ');
}

/**
 * A failed libc call, shaped like Node's own system errors (`fs.openSync` & co): `errno` is the
 * positive C errno value (Node's is negated), `code` its macro name, `syscall` the call's name.
 */
export class ErrnoError extends RootlessTsError {
  override readonly name: string = 'ErrnoError';
  declare readonly errno: number;
  declare readonly code: string;
  declare readonly syscall: string;

  constructor(errno: number, syscall: string, path?: string, dest?: string) {
    const code = names[errno] ?? 'UNKNOWN';
    const text = messages[code] ?? `unknown error ${errno}`;
    let message = `${code}: ${text}, ${syscall}`;
    if (path !== undefined) message += ` '${path}'`;
    if (dest !== undefined) message += ` -> '${dest}'`;
    super(message, {
      errno,
      code,
      syscall,
      ...(path !== undefined ? { path } : {}),
      ...(dest !== undefined ? { dest } : {}),
    });
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
