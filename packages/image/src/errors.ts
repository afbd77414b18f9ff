/**
 * Codes an {@link ImageError} carries. Each names one kind of failure a caller may want to
 * handle differently (show a hint, retry, give up).
 */
export type ImageErrorCode =
  | 'ERR_BAD_REFERENCE' // an image reference that does not follow the grammar
  | 'ERR_BAD_DIGEST' // a digest string that is malformed or uses an unknown algorithm
  | 'ERR_BAD_PLATFORM' // an os/arch[/variant] string that cannot be parsed
  | 'ERR_BAD_SOURCE' // a source spec (transport:...) that cannot be understood
  | 'ERR_BAD_MANIFEST' // a manifest, index or config that does not decode or validate
  | 'ERR_UNSUPPORTED_MANIFEST' // a manifest type this package does not pull (schema 1, artifacts)
  | 'ERR_UNSUPPORTED_MEDIA_TYPE' // a layer media type this package cannot decompress
  | 'ERR_NO_MATCHING_PLATFORM' // a manifest list without an entry for the wanted platform
  | 'ERR_DIGEST_MISMATCH' // content whose digest is not the one asked for
  | 'ERR_SIZE_MISMATCH' // content whose size is not the one asked for
  | 'ERR_NOT_FOUND' // a tag, manifest or blob that does not exist
  | 'ERR_UNAUTHORIZED' // the registry refused our credentials, or wants some we do not have
  | 'ERR_REGISTRY' // the registry answered with an error we do not retry (or retries ran out)
  | 'ERR_NETWORK' // the connection failed (after retries)
  | 'ERR_BAD_ARCHIVE' // an oci-archive or docker-archive that is not a valid tar of the format
  | 'ERR_BAD_AUTH_FILE' // an auth file (auth.json, config.json) that cannot be read or decoded
  | 'ERR_ABORTED'; // the caller's AbortSignal fired

/** Everything this package throws on bad input or a failed pull. */
export class ImageError extends Error {
  readonly code: ImageErrorCode;
  /** The file a failure concerns, when there is one. */
  readonly path?: string;
  /** The HTTP status of the registry response, when there is one. */
  readonly status?: number;

  constructor(
    code: ImageErrorCode,
    message: string,
    options: { cause?: unknown; path?: string; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ImageError';
    this.code = code;
    if (options.path !== undefined) this.path = options.path;
    if (options.status !== undefined) this.status = options.status;
  }
}
