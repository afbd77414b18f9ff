/** Codes of the store's own failures (errno names appear only when a system call was the cause). */
export type StoreErrorCode =
  | 'ERR_BAD_DIGEST'
  | 'ERR_DIGEST_MISMATCH'
  | 'ERR_SIZE_MISMATCH'
  | 'ERR_BAD_IMAGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_LAYER_REFUSED'
  | 'ERR_EXTRACT_FAILED'
  | 'ERR_HELPER_FAILED'
  | 'ERR_IMAGE_NOT_FOUND'
  | 'ERR_IMAGE_IN_USE'
  | 'ERR_BAD_CONTAINER_ID'
  | 'ERR_CONTAINER_EXISTS'
  | 'ERR_CONTAINER_NOT_FOUND'
  | 'ERR_OVERLAY_OPTIONS'
  | 'ERR_ABORTED'
  | 'ERR_IDMAP_CHANGED';

/** Every failure of the store: one line in `message`, a `code`, and the cause chain. */
export class StoreError extends Error {
  override name = 'StoreError';
  readonly code: StoreErrorCode | string;
  readonly path?: string;
  constructor(
    code: StoreErrorCode | string,
    message: string,
    opts: { path?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.path !== undefined) this.path = opts.path;
  }
}
