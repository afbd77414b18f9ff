/**
 * An in-process spawn's holder and network, started ahead of the spawn (`prepareSpawn`): the
 * `rootless` CLI starts them as soon as its modules are loaded, so that pasta's start-up (20-30
 * ms) runs while the CLI parses its command line and plans the container, instead of after.
 *
 * The holder is the same as spawnHere's own (a clone child in new user and network namespaces
 * that execs `sleep infinity` and dies with this process); the network is started on it at once,
 * its readiness left to whoever takes it. `spawn({ inProcess: true, prepared })` takes both when
 * they match what it would have started (the same network plan, a network namespace wanted);
 * otherwise, or when the spawn goes through a launcher, it discards them and starts its own.
 */
import * as libc from '@rootless-ts/libc';
import { startHolder } from './holder.js';
import {
  type NetworkHandle,
  type NetworkMode,
  type NetworkOptions,
  type NetworkPlan,
  type PendingNetwork,
  planNetwork,
  startPlannedNetworkPending,
} from './network.js';
import { killQuietly, type Settled, settle } from './spawn-support.js';

export interface PrepareSpawnOptions {
  /** The network the spawn will ask for (its `network` option); none: a holder without one. */
  network?: NetworkMode | NetworkOptions;
  /** How long the network helper may take to come up (default 10 s, as spawn's). */
  timeoutMs?: number;
}

/** What prepareSpawn started: for one spawn's `prepared` option, or to discard. */
export interface PreparedSpawn {
  /** The holder's pid: a process in the new user (and network) namespace. */
  readonly pid: number;
  /** Kills the holder and stops the network's helper, and waits until both are gone. Idempotent. */
  discard(): Promise<void>;
}

/** The parts a spawn takes over (internal). */
export interface PreparedParts {
  holder: number;
  holderExit: Promise<libc.ExitStatus>;
  network: Promise<Settled<PendingNetwork | NetworkHandle>> | undefined;
}

class Prepared implements PreparedSpawn {
  private taken = false;
  private discarding: Promise<void> | undefined;

  constructor(
    readonly pid: number,
    private readonly holderExit: Promise<libc.ExitStatus>,
    /** What the network was planned as, to compare with the spawn's. */
    readonly plan: NetworkPlan | undefined,
    private readonly network: Promise<Settled<PendingNetwork | NetworkHandle>> | undefined,
  ) {}

  /** The parts, once: the spawn owns them from then on. Undefined when discarded or taken. */
  take(): PreparedParts | undefined {
    if (this.taken || this.discarding) return undefined;
    this.taken = true;
    return { holder: this.pid, holderExit: this.holderExit, network: this.network };
  }

  discard(): Promise<void> {
    if (this.taken) return Promise.resolve();
    this.discarding ??= (async () => {
      killQuietly(this.pid, 'SIGKILL');
      await this.holderExit;
      const n = await this.network;
      if (n?.ok) await n.value.close();
    })();
    return this.discarding;
  }
}

/**
 * Starts an in-process spawn's holder and, with `network`, its network (pasta or slirp4netns
 * on the holder), ahead of the spawn. Hand the result to `spawn({ inProcess: true, prepared })`,
 * or `discard()` it; with neither it lives until this process exits (both die with it).
 * Synchronous: the holder exists when it returns; the helper is being started.
 */
export function prepareSpawn(options: PrepareSpawnOptions = {}): PreparedSpawn {
  const plan = options.network === undefined ? undefined : planNetwork(options.network);
  const withNet = plan !== undefined && plan.mode !== 'host';
  const holder = startHolder(withNet);
  const holderExit = libc.watchExit(holder);
  const network =
    plan && plan.mode !== 'host'
      ? settle(startPlannedNetworkPending(plan, holder, options.timeoutMs ?? 10_000))
      : undefined;
  return new Prepared(holder, holderExit, plan, network);
}

/** Whether `x` came from prepareSpawn (spawn's option check). */
export function isPreparedSpawn(x: unknown): x is PreparedSpawn {
  return x instanceof Prepared;
}

/**
 * The prepared parts when they are what this spawn would start (a holder with a network
 * namespace exactly when it wants one, the same network plan); else undefined, and what was
 * prepared is discarded.
 */
export function takePrepared(
  prepared: PreparedSpawn | undefined,
  net: NetworkPlan | undefined,
  withNet: boolean,
): PreparedParts | undefined {
  if (!(prepared instanceof Prepared)) return undefined;
  const want = net && net.mode !== 'host' ? net : undefined;
  const have = prepared.plan && prepared.plan.mode !== 'host' ? prepared.plan : undefined;
  const same =
    withNet === (have !== undefined) &&
    (want === undefined) === (have === undefined) &&
    (want === undefined || sameNetwork(want, have!));
  const parts = same ? prepared.take() : undefined;
  if (!parts) void prepared.discard();
  return parts;
}

function sameNetwork(a: NetworkPlan, b: NetworkPlan): boolean {
  return (
    a.mode === b.mode &&
    JSON.stringify(a.ports) === JSON.stringify(b.ports) &&
    a.mtu === b.mtu &&
    a.path === b.path
  );
}
