/** The parts of a spawn shared by spawn.ts (through a launcher) and here.ts (in this process). */
import type { Readable } from 'node:stream';
import { errno as E } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { spawnError } from './errors.js';
import {
  type NetworkHandle,
  type NetworkPlan,
  type PendingNetwork,
  startPlannedNetwork,
  startPlannedNetworkPending,
} from './network.js';
import type { NamespacedProcess } from './spawn.js';
import type { Plumbing } from './stdio.js';

export function handle(
  pid: number,
  plumbing: Plumbing,
  reaped: Promise<libc.ExitStatus>,
  receivedFds: number[],
  network?: NetworkHandle,
): NamespacedProcess {
  let done = false;
  let closing: Promise<void> | undefined;
  const streams = [plumbing.stdout, plumbing.stderr].filter((s): s is Readable => s !== null);
  const exitStatus = reaped.then((status) => {
    done = true;
    // The helper keeps the network namespace alive and does not notice the program's end: its
    // SIGKILL goes now, before anyone sees the status.
    closing = network?.close();
    return status;
  });
  const exited = exitStatus.then(async (status) => {
    await closing;
    // As Node does for its children: nobody can read stdin any more, and output nobody
    // reads is drained, so that it can end.
    plumbing.stdin?.destroy();
    for (const s of streams) if (s.readableFlowing === null) s.resume();
    await Promise.all(
      streams.map((s) =>
        s.readableEnded || s.destroyed ? undefined : new Promise((r) => s.once('close', r)),
      ),
    );
    return status;
  });
  return {
    pid,
    stdin: plumbing.stdin,
    stdout: plumbing.stdout,
    stderr: plumbing.stderr,
    receivedFds,
    ...(network ? { network } : {}),
    exited,
    exitStatus,
    kill(signal: NodeJS.Signals | number = 'SIGTERM') {
      if (done) return false;
      return killQuietly(pid, signal);
    },
  };
}

/** The promise, or an ETIMEDOUT error after `ms`. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new libc.RootlessTsError(`timed out after ${ms} ms ${what}`, {
            code: 'ETIMEDOUT',
            errno: E.ETIMEDOUT,
          }),
        ),
      ms,
    );
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export function killQuietly(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** `f()` as a promise, a synchronous throw included. */
export function callNow<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects (so one not awaited yet cannot be an unhandled rejection). */
export function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** What runs beside the id maps and the child's setup: the network's helper and the sidecar. */
export interface Beside<N = NetworkHandle> {
  /**
   * Waits until both are up: the network's handle (or, handed on, the pending network whose
   * readiness someone else reads), or a SpawnError (step network or sidecar).
   */
  up(): Promise<N | undefined>;
  /** After a failure: stops the network's helper, up or still starting, and waits for the sidecar. */
  stop(): Promise<void>;
}

/**
 * Starts the `network` option's helper and the caller's `sidecar` for the process `pid`, at
 * once: pasta and slirp4netns join the user namespace as its owner, which needs no id mapped
 * yet, and bringing the network up (about 50 ms for pasta) costs no time of its own beside the
 * rest. Their synchronous parts run now, while that process is still the caller's (not yet
 * root inside): they may open its /proc/PID/ns entries. With `handOn`, pasta's readiness is not
 * waited for here: up() gives its PendingNetwork as soon as it is started.
 */
export function startBeside(
  pid: number,
  net: NetworkPlan | undefined,
  sidecar: ((pid: number) => Promise<unknown>) | undefined,
  timeoutMs: number,
): Beside;
export function startBeside(
  pid: number,
  net: NetworkPlan | undefined,
  sidecar: ((pid: number) => Promise<unknown>) | undefined,
  timeoutMs: number,
  handOn: true,
  started?: Promise<Settled<NetworkHandle | PendingNetwork>>,
): Beside<NetworkHandle | PendingNetwork>;
export function startBeside(
  pid: number,
  net: NetworkPlan | undefined,
  sidecar: ((pid: number) => Promise<unknown>) | undefined,
  timeoutMs: number,
  handOn = false,
  started?: Promise<Settled<NetworkHandle | PendingNetwork>>,
): Beside<NetworkHandle | PendingNetwork> {
  const start = handOn ? startPlannedNetworkPending : startPlannedNetwork;
  // `started`: the network prepareSpawn started on this pid already.
  const network =
    started ?? (net && net.mode !== 'host' ? settle(start(net, pid, timeoutMs)) : undefined);
  const side = sidecar ? settle(callNow(() => sidecar(pid))) : undefined;
  return {
    async up() {
      const n = await network;
      if (n && !n.ok) throw spawnError('network', n.error);
      const c = await side;
      if (c && !c.ok) throw spawnError('sidecar', c.error);
      return n?.value;
    },
    async stop() {
      const n = await network;
      // A pending network's close stops its helper too, whether or not it came up since.
      if (n?.ok) await n.value.close();
      await side;
    },
  };
}
