import { PassThrough, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { createGunzip, constants as zlibConstants } from 'node:zlib';
import { ImageError } from './errors.js';

export const MEDIA_TYPE = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** The Accept header of a manifest request: every type this package can decode. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPE.ociIndex,
  MEDIA_TYPE.dockerManifestList,
  MEDIA_TYPE.ociManifest,
  MEDIA_TYPE.dockerManifest,
].join(', ');

export type Compression = 'none' | 'gzip' | 'zstd';

const LAYER_COMPRESSION: Record<string, Compression> = {
  [MEDIA_TYPE.ociLayer]: 'none',
  [MEDIA_TYPE.ociLayerGzip]: 'gzip',
  [MEDIA_TYPE.ociLayerZstd]: 'zstd',
  [MEDIA_TYPE.dockerLayer]: 'none',
  [MEDIA_TYPE.dockerLayerGzip]: 'gzip',
};

/**
 * How a layer of this media type is compressed. Throws ERR_UNSUPPORTED_MEDIA_TYPE for types
 * that are not filesystem layers, and for non-distributable (foreign) layers, whose content
 * lives at URLs outside the registry and which only Windows images use.
 */
export function layerCompression(mediaType: string): Compression {
  const c = LAYER_COMPRESSION[mediaType];
  if (c === undefined) {
    throw new ImageError(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      `layer media type ${mediaType} is not supported`,
    );
  }
  return c;
}

type ZstdFactory = () => Transform;

/** zlib gained zstd in Node 22.15 / 23.8; on older Node there is none. */
function zstdFactory(): ZstdFactory | undefined {
  const f = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;
  return typeof f === 'function' ? f : undefined;
}

/** True when this Node can decompress layers of the given media type. */
export function canDecompress(mediaType: string): boolean {
  const c = layerCompression(mediaType);
  return c !== 'zstd' || zstdFactory() !== undefined;
}

/**
 * A stream that turns a layer blob into its tar. zstd layers need Node's zlib zstd support
 * (Node >= 22.15); without it the error says so rather than failing inside tar parsing.
 */
export function createLayerDecompressor(mediaType: string): Transform {
  const c = layerCompression(mediaType);
  if (c === 'none') return new PassThrough();
  if (c === 'gzip') return createGunzip({ finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const zstd = zstdFactory();
  if (!zstd) {
    throw new ImageError(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      `layer media type ${mediaType} (zstd) needs Node.js >= 22.15, this is ${process.version}`,
    );
  }
  return zstd();
}

export function isIndexMediaType(t: string | undefined): boolean {
  return t === MEDIA_TYPE.ociIndex || t === MEDIA_TYPE.dockerManifestList;
}

export function isManifestMediaType(t: string | undefined): boolean {
  return t === MEDIA_TYPE.ociManifest || t === MEDIA_TYPE.dockerManifest;
}
