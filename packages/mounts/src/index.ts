export { type AppliedPlan, type ApplyOptions, applyPlan } from './apply.js';
export {
  DEFAULT_DEV_SYMLINKS,
  DEFAULT_DEVICES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
} from './defaults.js';
export { isMountError, MountError } from './errors.js';
export { generatedHosts, planHostFiles, planRootfs } from './plan.js';
export { hostProbe } from './probe.js';
export { type MountSyscalls, realSyscalls } from './syscalls.js';
export type {
  BindOp,
  BindRootOp,
  ChdirOp,
  EtcFileSource,
  FileOp,
  FsType,
  HostFilesOptions,
  HostProbe,
  HostRootOp,
  InsideMount,
  MaskOp,
  MkdirOp,
  MountAttr,
  MountFsOp,
  MountOp,
  OverlayRoot,
  OverlayRootOp,
  PivotRootOp,
  Propagation,
  PropagationOp,
  RemountReadonlyOp,
  RootfsOptions,
  SymlinkOp,
  TargetKind,
  TmpfsMount,
  Volume,
} from './types.js';
export { type ParseVolumeOptions, parseVolume } from './volume.js';
export {
  type BindOptions,
  bindMount,
  makePrivate,
  pivotInto,
  remountReadonly,
  setPropagation,
  unmount,
} from './wrappers.js';
