export {
  applyCapabilities,
  type CapabilityList,
  type CapabilityRequest,
  type ContainerCapabilities,
  DEFAULT_CAPS,
  limitBounding,
  PODMAN_DEFAULT_CAPS,
  parseCapabilityList,
  planCapabilities,
  podmanName,
} from './container.js';
export { CapabilityError, CapTextError } from './errors.js';
export { allCaps, CAP_BITS, CAP_NAMES, capFromName, capName, lastCap } from './names.js';
export { type ProcCaps, parseProcStatus, readProcCaps } from './proc.js';
export {
  type CapSets,
  capMask,
  capsIn,
  emptySets,
  FULL_MASK,
  hasCap,
  maskUpTo,
} from './sets.js';
export {
  ambientHas,
  boundingHas,
  clearAmbient,
  dropBounding,
  getCaps,
  getKeepCaps,
  getNoNewPrivs,
  getSecurebits,
  lowerAmbient,
  raiseAmbient,
  readAmbient,
  readBounding,
  setCaps,
  setKeepCaps,
  setNoNewPrivs,
  setSecurebits,
} from './syscalls.js';
export { formatCaps, parseCaps, type TextOptions } from './text.js';
