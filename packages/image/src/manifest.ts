import { ImageError } from './errors.js';
import {
  canDecompress,
  isIndexMediaType,
  isManifestMediaType,
  layerCompression,
  MEDIA_TYPE,
} from './media-types.js';
import { formatPlatform, normalizePlatform, type Platform, selectPlatform } from './platform.js';
import {
  type Descriptor,
  decode,
  type ImageConfig,
  ImageConfigSchema,
  IndexSchema,
  ManifestSchema,
  type OciIndex,
  type OciManifest,
} from './schema.js';

/** The largest manifest or config accepted, so a hostile registry cannot exhaust memory. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export type ParsedManifest =
  | { kind: 'manifest'; mediaType: string; manifest: OciManifest }
  | { kind: 'index'; mediaType: string; index: OciIndex };

/**
 * Decodes manifest bytes of any of the four supported types. The media type comes from the
 * document's own `mediaType` field, else from the transport (HTTP Content-Type, a descriptor),
 * else from its shape (OCI allows leaving it out). Schema 1 and unknown types are refused.
 */
export function parseManifest(
  bytes: Uint8Array,
  transportMediaType: string | undefined,
  what: string,
): ParsedManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new ImageError('ERR_BAD_MANIFEST', `${what}: larger than ${MAX_MANIFEST_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new ImageError('ERR_BAD_MANIFEST', `${what}: not valid JSON`, { cause: err });
  }
  const obj = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const own = typeof obj.mediaType === 'string' ? obj.mediaType : undefined;
  const transport = transportMediaType?.split(';')[0]?.trim();
  if (
    obj.schemaVersion === 1 ||
    transport === MEDIA_TYPE.dockerSchema1 ||
    transport === MEDIA_TYPE.dockerSchema1Signed
  ) {
    throw new ImageError(
      'ERR_UNSUPPORTED_MANIFEST',
      `${what}: Docker schema 1 manifests are deprecated and not supported`,
    );
  }
  let mediaType = own;
  if (mediaType === undefined && (isIndexMediaType(transport) || isManifestMediaType(transport))) {
    mediaType = transport;
  }
  if (mediaType === undefined) {
    mediaType = Array.isArray(obj.manifests) ? MEDIA_TYPE.ociIndex : MEDIA_TYPE.ociManifest;
  }
  if (own !== undefined && transport !== undefined && isKnown(transport) && own !== transport) {
    throw new ImageError(
      'ERR_BAD_MANIFEST',
      `${what}: declares media type ${own} but was served as ${transport}`,
    );
  }
  if (isIndexMediaType(mediaType)) {
    return { kind: 'index', mediaType, index: decode(IndexSchema, bytes, what) };
  }
  if (isManifestMediaType(mediaType)) {
    return { kind: 'manifest', mediaType, manifest: decode(ManifestSchema, bytes, what) };
  }
  throw new ImageError(
    'ERR_UNSUPPORTED_MANIFEST',
    `${what}: unsupported manifest media type ${mediaType}`,
  );
}

function isKnown(t: string): boolean {
  return isIndexMediaType(t) || isManifestMediaType(t);
}

/**
 * The index entry to pull for a platform. Entries without a platform (attestations, artifacts)
 * never match. Throws ERR_NO_MATCHING_PLATFORM listing what the index offers.
 */
export function chooseManifest(index: OciIndex, platform: Platform, what: string): Descriptor {
  const images = index.manifests.filter(
    (m) => isManifestMediaType(m.mediaType) || isIndexMediaType(m.mediaType),
  );
  const chosen = selectPlatform(images, platform);
  if (chosen) return chosen;
  const offered = images
    .filter((m) => m.platform && m.platform.os !== 'unknown')
    .map((m) => formatPlatform(m.platform as Platform));
  throw new ImageError(
    'ERR_NO_MATCHING_PLATFORM',
    `${what}: no image for ${formatPlatform(platform)}${offered.length ? ` (it has ${[...new Set(offered)].join(', ')})` : ''}`,
  );
}

/**
 * Checks that an image manifest describes a runnable image: an image config and filesystem
 * layers this Node can decompress.
 */
export function checkImageManifest(manifest: OciManifest, what: string): void {
  const ct = manifest.config.mediaType;
  if (ct !== MEDIA_TYPE.ociConfig && ct !== MEDIA_TYPE.dockerConfig) {
    throw new ImageError(
      'ERR_UNSUPPORTED_MANIFEST',
      `${what}: config media type ${ct} is not a container image (an artifact?)`,
    );
  }
  for (const layer of manifest.layers) {
    layerCompression(layer.mediaType);
    if (!canDecompress(layer.mediaType)) {
      throw new ImageError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        `${what}: layer ${layer.digest} is zstd-compressed (${layer.mediaType}); this needs Node.js >= 22.15, this is ${process.version}`,
      );
    }
  }
}

/**
 * Decodes and checks an image config against its manifest: one diff id per layer, and (when a
 * platform was asked for) the platform the config declares.
 */
export function parseConfig(
  bytes: Uint8Array,
  manifest: OciManifest,
  what: string,
  platform?: Platform,
): ImageConfig {
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new ImageError('ERR_BAD_MANIFEST', `${what}: larger than ${MAX_CONFIG_BYTES} bytes`);
  }
  const config = decode(ImageConfigSchema, bytes, what);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new ImageError(
      'ERR_BAD_MANIFEST',
      `${what}: ${config.rootfs.diff_ids.length} diff ids for ${manifest.layers.length} layers`,
    );
  }
  if (platform) {
    const want = normalizePlatform(platform);
    const have = normalizePlatform(config);
    if (want.os !== have.os || want.architecture !== have.architecture) {
      throw new ImageError(
        'ERR_NO_MATCHING_PLATFORM',
        `${what}: the image is for ${formatPlatform(config)}, not ${formatPlatform(platform)}`,
      );
    }
  }
  return config;
}
