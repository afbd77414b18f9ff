/**
 * The `network` option of spawn(): a private network through @rootless-ts/network. Planned here
 * (pure: mode, ports, the `net` namespace and the setup hook that brings `lo` up in the child);
 * the helper (pasta, slirp4netns) is started by spawn() as soon as the child exists (beside the id
 * maps and the child's setup; the program runs once it is up), and closed
 * when the program has exited or when the spawn failed after it started.
 */
import {
  type NetworkHandle,
  type NetworkMode,
  type NetworkSetupConfig,
  networkSetup,
  type PendingNetwork,
  type PortMapping,
  parseNetworkMode,
  parsePortSpecs,
  type StartNetworkOptions,
  startNetwork,
  startNetworkPending,
} from '@rootless-ts/network';
import { SpawnError } from './errors.js';
import type { SetupHookSpec } from './protocol.js';

export type { NetworkHandle, NetworkMode, PendingNetwork, PortMapping };

export interface NetworkOptions {
  /** `none` (only `lo`, up), `pasta`, `slirp4netns`, or `host` (no network namespace). */
  mode: NetworkMode;
  /**
   * Ports to publish on the host, podman's `-p` forms (`'127.0.0.1:8080:80'`, `'53/udp'`, ranges)
   * or parsed ones (parsePortSpecs); pasta and slirp4netns only. Host ports left out are chosen
   * when the helper starts: `NamespacedProcess.network.ports` has them.
   */
  ports?: Array<string | PortMapping>;
  mtu?: number;
  /** How long the helper may take to say the network is up (default: the spawn's timeoutMs). */
  timeoutMs?: number;
  /** Where to look for pasta, slirp4netns and setpriv (default PATH, then the system directories). */
  path?: string;
  /** What the setup hook does inside (default: `lo` up, ping for every mapped group, any port). */
  setup?: NetworkSetupConfig;
}

/** What spawn() does for a network option: plain data. */
export interface NetworkPlan {
  mode: NetworkMode;
  ports: PortMapping[];
  /** `['net']` for a private mode, nothing for `host`. */
  namespaces: Array<'net'>;
  /** The hook that brings `lo` up, to run before the caller's own hooks. */
  setup: SetupHookSpec[];
  mtu?: number;
  timeoutMs?: number;
  path?: string;
}

/** Validates a `network` option (a mode, or the options object) into what spawn() does (pure). */
export function planNetwork(option: NetworkMode | NetworkOptions): NetworkPlan {
  const fail = (message: string, cause?: unknown) =>
    new SpawnError(
      { step: 'options', message: `network: ${message}`, code: 'ERR_BAD_NETWORK' },
      cause === undefined ? undefined : { cause },
    );
  const opts: NetworkOptions =
    typeof option === 'string' ? { mode: option as NetworkMode } : (option ?? ({} as never));
  if (typeof opts !== 'object' || typeof opts.mode !== 'string')
    throw fail('must be a mode (none, pasta, slirp4netns, host) or { mode, ports, … }');
  let mode: NetworkMode;
  try {
    mode = parseNetworkMode(opts.mode);
  } catch (e) {
    throw fail((e as Error).message, e);
  }
  let ports: PortMapping[];
  try {
    const raw = opts.ports ?? [];
    if (!Array.isArray(raw)) throw new Error('ports must be an array');
    const specs = raw.filter((p): p is string => typeof p === 'string');
    const parsed = raw.filter((p): p is PortMapping => typeof p === 'object' && p !== null);
    if (specs.length + parsed.length !== raw.length)
      throw new Error('each port must be a spec string or a PortMapping');
    ports = [...parsePortSpecs(specs), ...parsed];
  } catch (e) {
    throw new SpawnError(
      {
        step: 'options',
        message: `network: ${(e as Error).message}`,
        code: (e as { code?: string }).code ?? 'ERR_BAD_PORT',
      },
      { cause: e },
    );
  }
  if (ports.length > 0 && (mode === 'none' || mode === 'host'))
    throw fail(`ports cannot be published with mode ${mode}`);
  for (const [what, v] of [
    ['mtu', opts.mtu],
    ['timeoutMs', opts.timeoutMs],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0))
      throw fail(`${what} must be a positive integer, not ${v}`);
  }
  const parts = networkSetup(mode, opts.setup);
  const plan: NetworkPlan = {
    mode,
    ports,
    namespaces: parts.namespaces,
    setup: parts.setup as SetupHookSpec[],
  };
  if (opts.mtu !== undefined) plan.mtu = opts.mtu;
  if (opts.timeoutMs !== undefined) plan.timeoutMs = opts.timeoutMs;
  if (opts.path !== undefined) plan.path = opts.path;
  return plan;
}

/** Starts the plan's network for the child with host pid `pid` (after its id maps). */
export function startPlannedNetwork(
  plan: NetworkPlan,
  pid: number,
  defaultTimeoutMs: number,
): Promise<NetworkHandle> {
  return startNetwork(networkOptions(plan, pid, defaultTimeoutMs));
}

/**
 * The same, without waiting for the network to be up where the helper's readiness can be read
 * by someone else (pasta): a PendingNetwork then, else the handle of a network already up.
 */
export function startPlannedNetworkPending(
  plan: NetworkPlan,
  pid: number,
  defaultTimeoutMs: number,
): Promise<PendingNetwork | NetworkHandle> {
  return startNetworkPending(networkOptions(plan, pid, defaultTimeoutMs));
}

function networkOptions(
  plan: NetworkPlan,
  pid: number,
  defaultTimeoutMs: number,
): StartNetworkOptions {
  return {
    mode: plan.mode,
    pid,
    ports: plan.ports,
    timeoutMs: plan.timeoutMs ?? defaultTimeoutMs,
    ...(plan.mtu !== undefined ? { mtu: plan.mtu } : {}),
    ...(plan.path !== undefined ? { path: plan.path } : {}),
  };
}

/** Whether a started network is still waiting for its readiness to be read elsewhere. */
export function isPending(n: PendingNetwork | NetworkHandle | undefined): n is PendingNetwork {
  return n !== undefined && 'readyFd' in n;
}
