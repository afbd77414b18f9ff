export type { ExitStatus } from '@rootless-ts/libc';
export {
  type ChildContext,
  EXIT_CANNOT_EXECUTE,
  EXIT_NOT_FOUND,
  type SetupContext,
  type SetupHook,
} from './child.js';
export type { CapabilitySet, CapabilitySets, SeccompOption } from './containment.js';
export { type SerializedError, SpawnError, type SpawnStep } from './errors.js';
export { runsSingleThreaded } from './here.js';
export { mapIds, rootlessIdMap } from './idmap.js';
export {
  type NamespaceId,
  namespaceDifferences,
  namespaceOf,
  namespacesOf,
  sameNamespace,
} from './inspect.js';
export {
  cloneFlag,
  cloneFlags,
  NAMESPACE_KINDS,
  type NamespaceKind,
  parseNamespaceKind,
} from './kinds.js';
export {
  type NetworkHandle,
  type NetworkMode,
  type NetworkOptions,
  type NetworkPlan,
  type PortMapping,
  planNetwork,
} from './network.js';
export {
  createLauncherPool,
  type LauncherPool,
  type LauncherPoolOptions,
  type PooledLauncher,
} from './pool.js';
export { type PreparedSpawn, type PrepareSpawnOptions, prepareSpawn } from './prepared.js';
export {
  checkLaunchConfig,
  decodeToChild,
  decodeToParent,
  type LaunchConfig,
  ProtocolError,
  type SetupHookSpec,
  type ToChild,
  type ToParent,
} from './protocol.js';
export {
  type EnterOptions,
  enter,
  type IdMapper,
  launchConfig,
  type NamespacedProcess,
  type SpawnOptions,
  STANDARD_PATH,
  type StdioSpec,
  spawn,
} from './spawn.js';
export type { LauncherChannels } from './stdio.js';
export { CHILD_STEPS, type ChildStep, type ChildStepName, type Undo } from './steps.js';
