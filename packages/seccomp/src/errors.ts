/**
 * Errors of @rootless-ts/seccomp. Every message is one line. `code` is an errno name ('EPERM',
 * 'EINVAL', …) when a system call or libseccomp refused something, otherwise one of:
 * - 'ERR_SECCOMP_PROFILE': the profile is not valid (`field` names the offending field);
 * - 'ERR_SECCOMP_LIBRARY': libseccomp.so.2 cannot be loaded;
 * - 'ERR_SECCOMP_ARCH': a filter was asked for an architecture this package cannot compile for.
 */
export class SeccompError extends Error {
  override readonly name: string = 'SeccompError';
  readonly code: string;
  /** The errno value when a system call or libseccomp failed. */
  readonly errno: number | undefined;
  /** The system call or libseccomp function that failed. */
  readonly syscall: string | undefined;
  /** The profile file, when one was read. */
  readonly path: string | undefined;
  constructor(
    message: string,
    options: { code: string; errno?: number; syscall?: string; path?: string; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.errno = options.errno;
    this.syscall = options.syscall;
    this.path = options.path;
  }
}

/** A profile that does not validate: `field` is its path, e.g. `syscalls[3].action`. */
export class SeccompProfileError extends SeccompError {
  override readonly name = 'SeccompProfileError';
  constructor(
    readonly field: string,
    readonly reason: string,
    path?: string,
  ) {
    super(
      `seccomp profile${path === undefined ? '' : ` ${path}`}: ${field ? `${field}: ` : ''}${reason}`,
      { code: 'ERR_SECCOMP_PROFILE', ...(path === undefined ? {} : { path }) },
    );
  }
}
