import { RootlessTsError } from '@rootless-ts/libc';

/**
 * Errors of @rootless-ts/idmap. Every failure this package reports is one of these two classes,
 * so a caller can tell a broken configuration file (fix the file) from a mapping that could not
 * be computed or applied (fall back, or report the helper's own words).
 */

/** A line of /etc/subuid or /etc/subgid that does not follow subuid(5). */
export class SubidParseError extends RootlessTsError {
  override readonly name: string = 'SubidParseError';
  declare readonly code: 'ERR_SUBID_PARSE';
  constructor(
    /** The file, as given to the parser (e.g. `/etc/subuid`). */
    readonly file: string,
    /** 1-based line number. */
    readonly line: number,
    /** What is wrong with the line. */
    readonly reason: string,
    /** The offending line's text. */
    readonly text: string,
  ) {
    super(`${file}:${line}: ${reason}: ${JSON.stringify(text)}`, { code: 'ERR_SUBID_PARSE' });
  }
}

/** Why an id mapping could not be computed, validated or applied. */
export type IdMapErrorCode =
  /** Two lines overlap inside (container ids) or outside (host ids) the namespace. */
  | 'ERR_ID_OVERLAP'
  /** An id or count is not an integer, or lies outside 0..2^32-2. */
  | 'ERR_ID_RANGE'
  /** More lines than the kernel accepts (340), or a text longer than a page. */
  | 'ERR_ID_TOO_MANY'
  /** The mapping is empty. */
  | 'ERR_ID_EMPTY'
  /** newuidmap/newgidmap is not on PATH. */
  | 'ERR_NO_HELPER'
  /** newuidmap/newgidmap is neither setuid root nor given file capabilities. */
  | 'ERR_HELPER_NOT_PRIVILEGED'
  /** The helper ran and refused; `helperMessage` holds what it said. */
  | 'ERR_HELPER_FAILED'
  /** Writing /proc/<pid>/{uid_map,gid_map,setgroups} failed; `cause` is the system error. */
  | 'ERR_MAP_WRITE'
  /** Reading or parsing /proc/<pid>/{uid_map,gid_map} failed. */
  | 'ERR_MAP_READ';

export class IdMapError extends RootlessTsError {
  override readonly name: string = 'IdMapError';
  declare readonly code: IdMapErrorCode;
  constructor(
    code: IdMapErrorCode,
    message: string,
    options: {
      cause?: unknown;
      /** The helper's own standard error, trimmed, when a helper refused. */
      helperMessage?: string;
      /** The helper's exit status, when it ran. */
      exitCode?: number | null;
    } = {},
  ) {
    // The code is this package's own: the errno of a failed write or read stays on `cause`.
    super(message, options.cause === undefined ? { code } : { code, cause: options.cause });
    this.helperMessage = options.helperMessage;
    this.exitCode = options.exitCode;
  }
  readonly helperMessage: string | undefined;
  readonly exitCode: number | null | undefined;
}
