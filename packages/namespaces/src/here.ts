/**
 * spawn({ inProcess: true }): the launcher's part done by the calling process itself, for a
 * process that starts one container (the `rootless` CLI): one Node start-up less per spawn.
 *
 * The launcher exists because the process that clones must stop while the child runs
 * JavaScript on its memory, and the parent's side of the handshake (the id maps, the network)
 * must go on meanwhile. Here that side is done first, on a holder: a `sleep infinity` in a new
 * user namespace, and a network namespace when one is asked for, which never changes its ids (so
 * its /proc/PID/ns entries stay ours to open) and dies with this process. The
 * id maps are written and the network helper started on it, with the event loop free. Then:
 *
 *   this process ── cloneThenExec(CLONE_VM|CLONE_VFORK) ──▶ C: setns into the holder's user and
 *   network namespaces (allowed: C is a thread group of its own, with its own fs_struct), unshare
 *   the mount, uts, ipc and pid namespaces (now owned by that user namespace), then
 *   C ── cloneThenExec(CLONE_PARENT|CLONE_VM|CLONE_VFORK) ──▶ C2: pid 1 of the new pid
 *   namespace, our child; it runs the step table, and executes the program once that returned.
 *
 * The messages the child waits for ('mapped', 'exec') are written into the channel before the
 * clone; what it sends ('pid', 'ready', an error, the descriptors of the fd channel) is read
 * once the clone has returned. C exits; the holder is killed once the program runs (the
 * program's own membership keeps the namespaces alive).
 *
 * Conditions, checked by canSpawnHere(): the process runs `node --single-threaded` (V8 then
 * has no background threads that could work on the heap while the child runs JavaScript on it),
 * from its main thread, with a user namespace asked for, no pool and no other Node. The event
 * loop is blocked while the child sets up, so there is no setup deadline.
 */

import { clone as CL, fcntl as F, signal } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { type NetworkReadiness, resetSignals } from './child.js';
import { prepareFilters, releaseFilters } from './containment-ops.js';
import { SpawnError, serializeError, spawnError } from './errors.js';
import { startHolder } from './holder.js';
import { Inbox, ParentEnd } from './inbox.js';
import { cloneFlags } from './kinds.js';
import { cachedHook, collectYoung, deathSignal, placeFds, stackTop } from './launch-support.js';
import { isPending, type NetworkHandle, type NetworkPlan, type PendingNetwork } from './network.js';
import { takePrepared } from './prepared.js';
import { encode, type LaunchConfig } from './protocol.js';
import type { NamespacedProcess, SpawnOptions } from './spawn.js';
import {
  type Beside,
  handle,
  killQuietly,
  settle,
  startBeside,
  withDeadline,
} from './spawn-support.js';
import { Plumbing, type StdioSpec } from './stdio.js';
import { reportExecFailure, runChild } from './steps.js';
import { SyncChannel } from './sync-channel.js';

/** Whether this spawn can run in this process (see the module's comment); pure but for `process`. */
export function canSpawnHere(options: SpawnOptions, cfg: LaunchConfig): boolean {
  return (
    options.inProcess === true &&
    runsSingleThreaded() &&
    options.pool === undefined &&
    options.nodePath === undefined &&
    cfg.namespaces.includes('user') &&
    cfg.join === undefined
  );
}

/**
 * Whether this Node runs --single-threaded (on its command line or in NODE_OPTIONS): what
 * spawn's inProcess needs, so that no V8 background thread works on the heap the child runs on.
 */
export function runsSingleThreaded(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): boolean {
  return (
    execArgv.includes('--single-threaded') || /(^|\s)--single-threaded(\s|$)/.test(nodeOptions)
  );
}

export async function spawnHere(
  cfg: LaunchConfig,
  options: SpawnOptions,
  stdio: [StdioSpec, StdioSpec, StdioSpec],
  compile: () => void,
  net?: NetworkPlan,
): Promise<NamespacedProcess> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const withNet = cfg.namespaces.includes('net');
  // A holder (and network) started ahead by prepareSpawn, when it is what we would start.
  const prepared = takePrepared(options.prepared, net, withNet);
  let holder: number;
  try {
    holder = prepared?.holder ?? startHolder(withNet);
  } catch (e) {
    throw spawnError('clone', e);
  }
  const holderExit = prepared?.holderExit ?? libc.watchExit(holder);
  const nsFds: number[] = [];
  let plumbing: Plumbing;
  try {
    nsFds.push(libc.open(`/proc/${holder}/ns/user`, F.O_RDONLY | F.O_CLOEXEC));
    if (withNet) nsFds.push(libc.open(`/proc/${holder}/ns/net`, F.O_RDONLY | F.O_CLOEXEC));
    // As for a pooled launcher, the program's descriptors are handed to the clone child
    // (programDescriptors) rather than set up as a launcher's stdio; none is sent anywhere, so
    // there is no launcher fd channel.
    plumbing = new Plumbing(stdio, options.extraFds ?? [], { fdChannel: -1 });
  } catch (e) {
    for (const fd of nsFds) libc.close(fd);
    killQuietly(holder, 'SIGKILL');
    await holderExit;
    throw spawnError('clone', e);
  }
  const inbox = new Inbox();
  const parent = new ParentEnd(inbox);
  const program = plumbing.programDescriptors();
  const [childChannelFd, childFdChannel] = program.slice(-2) as [number, number];
  let pid = 0;
  let exit: Promise<libc.ExitStatus> | undefined;
  let network: NetworkHandle | undefined;
  // pasta's readiness, read by the child (we are blocked in the clone meanwhile): its start-up
  // then overlaps the child's setup.
  let pending: PendingNetwork | undefined;
  let beside: Beside<NetworkHandle | PendingNetwork> | undefined;
  const receivedFds: number[] = [];
  // Killed once only: once it is reaped (watchExit, as soon as it dies), its pid may be another
  // process's, which a second kill would hit.
  let holderKilled = false;
  try {
    // The maps, the network and the sidecar, all on the holder and at once; the seccomp
    // programs and the setup hooks meanwhile.
    beside = startBeside(holder, net, options.sidecar, timeoutMs, true, prepared?.network);
    const mapping = options.idmap
      ? settle(
          withDeadline(Promise.resolve(options.idmap(holder)), timeoutMs, 'writing the id maps'),
        )
      : undefined;
    compile();
    let hooks: Awaited<ReturnType<typeof cachedHook>>[];
    try {
      hooks = await Promise.all(cfg.setup.map(cachedHook));
    } catch (e) {
      throw spawnError('setup', e);
    }
    if (mapping) {
      const mapped = await mapping;
      if (!mapped.ok) throw spawnError('idmap', mapped.error);
    }
    const started = await beside.up();
    if (isPending(started)) pending = started;
    else network = started;
    // What the child will wait for, answered ahead (synchronously: the clone blocks us).
    libc.write(plumbing.channelFd, Buffer.from(encode({ t: 'mapped' }) + encode({ t: 'exec' })));
    const filters = prepareFilters(cfg.seccomp);
    try {
      const networkReady = pending && { fd: pending.readyFd, timeoutMs };
      cloneHere(cfg, hooks, filters, program, childChannelFd, childFdChannel, nsFds, networkReady);
    } finally {
      releaseFilters(filters);
      // The program, if it runs, holds the namespaces now.
      killQuietly(holder, 'SIGKILL');
      holderKilled = true;
    }
    // Our copies of the child's ends: its channel's end then confirms the exec.
    plumbing.closeTheirs();
    inbox.readToEnd(plumbing.channelFd, timeoutMs);
    ({ pid } = await parent.waitPid(timeoutMs));
    exit = libc.watchExit(pid);
    try {
      await parent.waitReady(timeoutMs);
    } catch (e) {
      // The child saw the helper give up (or not finish in time): the helper says why.
      if (pending && e instanceof SpawnError && e.step === 'wait-network')
        throw spawnError('network', await pending.failed());
      throw e;
    }
    // Past wait-network: the child read the line.
    if (pending) network = pending.up();
    receivedFds.push(...plumbing.receiveFds());
    await parent.waitExecConfirmed(timeoutMs);
  } catch (e) {
    if (pid) killQuietly(pid, 'SIGKILL');
    await exit;
    await beside?.stop();
    for (const fd of receivedFds.splice(0)) libc.close(fd);
    plumbing.destroy();
    throw e instanceof SpawnError ? e : spawnError('clone', e);
  } finally {
    for (const fd of nsFds) libc.close(fd);
    if (!holderKilled) killQuietly(holder, 'SIGKILL');
    await holderExit;
  }
  plumbing.closeChannel();
  plumbing.closeFdChannel();
  return handle(pid, plumbing, exit, receivedFds, network);
}

/** The two clones; returns once C has exited (after C2 executed the program or gave up). */
function cloneHere(
  cfg: LaunchConfig,
  hooks: Awaited<ReturnType<typeof cachedHook>>[],
  filters: ReturnType<typeof prepareFilters>,
  program: number[],
  childChannelFd: number,
  childFdChannel: number,
  nsFds: number[],
  networkReady: NetworkReadiness | undefined,
): void {
  const channel = new SyncChannel(childChannelFd);
  const rest = cloneFlags(cfg.namespaces.filter((k) => k !== 'user' && k !== 'net'));
  // C2's parent is this process (C clones it with CLONE_PARENT): a pidfd of it, for the child
  // to tell that this process died before its death signal was set (child.ts, ParentWatch).
  const self = libc.pidfdOpen(process.pid);
  try {
    collectYoung();
    const top = stackTop();
    const parent = process.pid;
    const c = libc.cloneThenExec(
      () => {
        // Dies with this process from its first instruction (deathSignal); if this process died
        // before even that, getppid() says so (C stays in our pid namespace).
        if (libc.getppid() !== parent) return 1;
        try {
          // This process's signal handlers are libuv's (the reaper's SIGCHLD, say): one running in
          // the child would take libuv's locks and pipes, by descriptor numbers the child reuses.
          // Every signal to its default, none blocked, for C and the C2 it clones.
          resetSignals();
          for (const [i, fd] of nsFds.entries())
            libc.setns(fd, i === 0 ? CL.CLONE_NEWUSER : CL.CLONE_NEWNET);
          libc.unshare(rest);
        } catch (e) {
          channel.reportError(serializeError('clone', e));
          return 1;
        }
        try {
          const innerTop = stackTop();
          libc.cloneThenExec(
            (inner) => {
              // Copies: placeFds moves the descriptors, and this memory is the parent's too.
              const ready = networkReady && { ...networkReady };
              const watch = { fd: self };
              const placed = placeFds(
                program.slice(0, -2),
                channel,
                childFdChannel,
                cfg.keepFds,
                undefined,
                ready ? [ready, watch] : [watch],
              );
              return placed
                ? runChild(cfg, hooks, placed, inner, {
                    filters,
                    networkReady: ready,
                    parent: watch,
                  })
                : 1;
            },
            CL.CLONE_PARENT | CL.CLONE_VM | CL.CLONE_VFORK | signal.SIGCHLD,
            { stackTop: innerTop, onExecFailure: reportExecFailure, ...deathSignal(cfg) },
          );
        } catch (e) {
          channel.reportError(serializeError('clone', e));
          return 1;
        }
        return 0;
      },
      CL.CLONE_VM | CL.CLONE_VFORK | signal.SIGCHLD,
      { stackTop: top, deathSignal: signal.SIGKILL },
    );
    libc.waitpid(c);
  } finally {
    libc.close(self);
  }
}
