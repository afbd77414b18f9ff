export { DigestVerifier, isDigest, parseDigest, sha256Digest, verifyBytes } from './digest.js';
export { ImageError, type ImageErrorCode } from './errors.js';
export {
  checkImageManifest,
  chooseManifest,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  type ParsedManifest,
  parseConfig,
  parseManifest,
} from './manifest.js';
export {
  type Compression,
  canDecompress,
  createLayerDecompressor,
  isIndexMediaType,
  isManifestMediaType,
  layerCompression,
  MANIFEST_ACCEPT,
  MEDIA_TYPE,
} from './media-types.js';
export { openSource, parseSourceSpec, type SourceSpec } from './open.js';
export {
  formatPlatform,
  hostPlatform,
  normalizePlatform,
  type Platform,
  parsePlatform,
  platformRank,
  selectPlatform,
} from './platform.js';
export {
  DEFAULT_DOMAIN,
  DEFAULT_TAG,
  DOCKER_HUB_REGISTRY,
  familiarReference,
  formatReference,
  type ImageReference,
  parseReference,
  registryTarget,
  withDefaultTag,
} from './reference.js';
export {
  authFileCandidates,
  credentialsFromAuthFile,
  findCredentials,
  normalizeAuthKey,
} from './registry/auth-file.js';
export { type Challenge, parseChallenges } from './registry/challenge.js';
export { isLoopbackHost, RegistryClient, type RegistryClientOptions } from './registry/client.js';
export type {
  ContainerConfig,
  DockerArchiveManifest,
  ImageConfig,
  OciIndex,
  OciManifest,
} from './schema.js';
export type {
  Credentials,
  Descriptor,
  FetchBlobOptions,
  ImageSource,
  ResolvedImage,
  ResolveOptions,
  SourceOptions,
} from './source.js';
export { DockerArchiveSource } from './sources/docker-archive.js';
export { OciLayoutSource, REF_NAME_ANNOTATION } from './sources/oci-layout.js';
export { RegistrySource } from './sources/registry.js';
