export { cacheKey, compileFilterCached } from './cache.js';
export {
  type CompiledFilter,
  type CompileOptions,
  compileFilter,
  compileFilterWithReport,
  libseccompVersion,
} from './compile.js';
export { defaultProfile } from './default-profile.js';
export { SeccompError, SeccompProfileError } from './errors.js';
export {
  checkProgram,
  filterFlags,
  installFilter,
  type PreparedFilter,
  prepareFilter,
  releaseFilter,
  seccompMode,
} from './install.js';
export {
  type FilterArch,
  type FilterPlan,
  filterArch,
  type PlannedAction,
  type PlannedRule,
  type PlanOptions,
  planFilter,
  ruleApplies,
} from './plan.js';
export {
  ARCHITECTURES,
  loadProfile,
  normalizeCap,
  type ProfileSource,
  parseKernelVersion,
  validateProfile,
} from './profile.js';
export { terminalGuardProfile } from './terminal.js';
export {
  ACTIONS,
  FLAGS,
  OPERATORS,
  type SeccompAction,
  type SeccompArchMap,
  type SeccompArg,
  type SeccompCondition,
  type SeccompFlag,
  type SeccompOperator,
  type SeccompProfile,
  type SeccompSyscall,
} from './types.js';
