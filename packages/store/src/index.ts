export { chainIds, digestHex, sha256Digest } from './digest.js';
export {
  type EntryAction,
  EntryRefused,
  entryPath,
  entryXattrs,
  OPAQUE_MARKER,
  OPAQUE_XATTR,
  planEntry,
  type TarHeaderLike,
  WHITEOUT_PREFIX,
  xattrAllowed,
} from './entries.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export type { ImageRecord, LayerRecord } from './images.js';
export {
  type FsconfigStep,
  MOUNT_DATA_MAX,
  type OverlayDirs,
  overlayFsconfig,
  overlayMountData,
} from './overlay.js';
export { defaultStoreRoot, storeLayout } from './paths.js';
export { progressLine } from './progress.js';
export {
  type ContainerRecord,
  type ImageConfigLike,
  type ImageSummary,
  type OverlaySupport,
  openStore,
  type PreparedContainer,
  type PrepareOptions,
  type PullOptions,
  type PullProgress,
  type PullResult,
  type RemoveResult,
  type Store,
  type StoredImage,
  type StoreOptions,
} from './store.js';
export { formatImageTable, humanAge, humanSize, splitName } from './table.js';
export type { Descriptor, ImageSource, Platform, ResolvedImage } from './types.js';
