/**
 * What went wrong, as a code callers can test:
 * - `ERR_BAD_PORT`: a port spec (`-p`) that does not parse or is out of range;
 * - `ERR_BAD_NETWORK`: an unknown network mode or a bad option for one (`--dns`, `--add-host`);
 * - `ERR_HELPER_MISSING`: pasta, slirp4netns or setpriv is not installed, or /dev/net/tun is unusable;
 * - `ERR_HELPER_FAILED`: the helper exited or refused before saying the network is up;
 * - `ERR_HELPER_TIMEOUT`: it said nothing within the deadline.
 * An errno name (`EPERM`…) when a system call failed, with errno, syscall and path.
 */
export type NetworkErrorCode =
  | 'ERR_BAD_PORT'
  | 'ERR_BAD_NETWORK'
  | 'ERR_HELPER_MISSING'
  | 'ERR_HELPER_FAILED'
  | 'ERR_HELPER_TIMEOUT'
  | (string & {});

/** Every failure of this package: one line in `message`, a `code`, the helper's name if any. */
export class NetworkError extends Error {
  override name = 'NetworkError';
  readonly code: NetworkErrorCode;
  /** The helper program concerned (`pasta`, `slirp4netns`), when there is one. */
  readonly helper?: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly path?: string;

  constructor(
    code: NetworkErrorCode,
    message: string,
    extra: {
      helper?: string;
      errno?: number;
      syscall?: string;
      path?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    if (extra.helper !== undefined) this.helper = extra.helper;
    if (extra.errno !== undefined) this.errno = extra.errno;
    if (extra.syscall !== undefined) this.syscall = extra.syscall;
    if (extra.path !== undefined) this.path = extra.path;
  }
}
