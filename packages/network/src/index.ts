export {
  dnsForwarder,
  type HostEntry,
  type HostsRequest,
  hostsFile,
  PASTA_DNS_FORWARD,
  parseAddHost,
  parseDnsServer,
  parseResolvConf,
  type ResolvConfRequest,
  resolvConf,
  SLIRP4NETNS_ADDRESS,
  SLIRP4NETNS_DNS,
} from './dns.js';
export { NetworkError, type NetworkErrorCode } from './errors.js';
export {
  type NetworkHandle,
  type PendingNetwork,
  type StartNetworkOptions,
  startNetwork,
  startNetworkPending,
} from './helper.js';
export {
  bringUp,
  bringUpLoopback,
  interfaceFlags,
  pingGroupRange,
  setPingGroupRange,
  setUnprivilegedPortStart,
} from './loopback.js';
export {
  checkHelper,
  type DefaultNetwork,
  defaultNetworkMode,
  findProgram,
  helperOf,
  helperSearchPath,
  isPrivate,
  NETWORK_MODES,
  type NetworkMode,
  parseNetworkMode,
  SYSTEM_PATH,
  tunUsable,
} from './mode.js';
export {
  namespacePaths,
  type PastaPlan,
  pastaArgs,
  type ResolvedPort,
  type Slirp4netnsPlan,
  slirp4netnsArgs,
  slirpHostfwdRequests,
} from './plan.js';
export {
  formatPortMapping,
  type PortMapping,
  type PortProtocol,
  parsePortSpec,
  parsePortSpecs,
} from './ports.js';
export { type NetworkSetupConfig, networkSetup, setupModule } from './setup-spec.js';
