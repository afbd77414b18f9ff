export { type AppliedBy, type ApplyOptions, applyIdMap, applyIdMapSync } from './apply.js';
export { IdMapError, type IdMapErrorCode, SubidParseError } from './errors.js';
export {
  findHelper,
  type HelperInfo,
  type HelperPrivilege,
  type IdKind,
  inspectHelper,
} from './helper.js';
export { ID_LIMIT, MAP_WRITE_LIMIT, MAX_ID, MAX_MAP_LINES } from './limits.js';
export {
  computeIdMap,
  DEFAULT_CONTAINER_ID,
  formatIdMap,
  formatProcIdMap,
  helperArgs,
  type IdMap,
  type IdMapLine,
  type IdMapRequest,
  mappedCount,
  parseIdMap,
  singleIdMap,
  toContainerId,
  toHostId,
  validateIdMap,
} from './map.js';
export {
  type FallbackCode,
  type FallbackReason,
  type IdMapPlan,
  type IdMapPlanRequest,
  planIdMaps,
} from './plan.js';
export { denySetgroups, readIdMap, readIdMapText, writeIdMap } from './proc.js';
export {
  type IdRange,
  parseSubid,
  rangesOf,
  readSubidFile,
  type SubidEntry,
  type SubidFiles,
  type SubidOwner,
  subordinateIds,
} from './subid.js';
