/**
 * What the container's first process does, in order, before it executes the program: one table
 * of named rows, read top to bottom (as bubblewrap's list of setup operations and youki's init
 * process are). The operations themselves live in child.ts; this file only orders them.
 *
 * A row runs when its `when` says so (default: always). It may return an undo, and a setup hook
 * may too. When a row fails, the undos collected so far run in reverse order and the error goes
 * to the parent, naming the row. The undos need the privileges the setup had, so every row that
 * may fail for reasons of the program's own (its working directory, the program itself) runs
 * after `switch-user` has taken the final ids while keeping the way back (the saved ids stay
 * root), and `lock-user` only then gives up the way back: the point of no return. Rows after it
 * cannot be undone and must not fail for anything but a bug (prctl) or the exec itself.
 *
 * To add a row (a nested user namespace, loopback): put its data in LaunchConfig (launchConfig()
 * in spawn.ts maps an option to it, and checkLaunchConfig() in protocol.ts checks it), its
 * operation in a module of its own, and one row here at the place where it must happen, with
 * `when` reading its config. The containment rows (session keyring, seccomp, capability sets)
 * are marked as such; their operations are in containment-ops.ts.
 */

import type * as libc from '@rootless-ts/libc';
import type { ChildContext, JoinFds, NetworkReadiness, ParentWatch, SetupHook } from './child.js';
import * as ops from './child.js';
import type { ChildFilter } from './containment-ops.js';
import * as containment from './containment-ops.js';
import * as nest from './nest.js';
import type { LaunchConfig } from './protocol.js';
import type { ChildStepName } from './step-names.js';
import type { SyncChannel } from './sync-channel.js';

/** Undoes what a row did; runs while the child still has the setup's privileges. */
export type Undo = () => void;

export interface ChildStep {
  readonly name: ChildStepName;
  /** Whether the row applies to this launch (default: always). */
  readonly when?: (c: ChildContext) => boolean;
  /** Does it. A row that does several undoable things registers each undo with `c.defer`. */
  readonly run: (c: ChildContext) => void;
  /** Undoes it, when a later row fails (while the setup's privileges are still there). */
  readonly undo?: (c: ChildContext) => void;
  /** Once this row has run, nothing before it can be undone any more. */
  readonly pointOfNoReturn?: true;
  /** The child's exit status when this row fails (default 1). */
  readonly status?: (e: unknown) => number;
}

/** The child's whole sequence, in order. */
export const CHILD_STEPS: readonly ChildStep[] = [
  // Die with the parent from the start (a hook may block). Each change of the effective ids
  // clears it: the rows that change them (become-root, switch-user, lock-user) set it again.
  {
    name: 'death-signal',
    when: (c) => c.cfg.dieWithParent,
    run: (c) => c.keepDeathSignal(),
  },
  // The host pid, read through the host's procfs while it is still the one mounted.
  { name: 'identity', run: ops.readIdentity },
  // enter(): what the joined user namespace's maps allow, read before /proc may change.
  { name: 'id-maps', when: (c) => c.join !== undefined, run: ops.readIdMaps },
  // enter(): setns into the mount, uts, ipc, net, cgroup and time namespaces.
  { name: 'join', when: (c) => c.join !== undefined, run: ops.joinRest },
  // Tell the parent the host pid; wait until it has written uid_map/gid_map.
  { name: 'mapped', run: ops.waitMapped },
  // ---- locked mounts (nest.ts), 1 of 2 ----
  // The host's procfs, while it is still at /proc: lock-mounts finds its processes through it.
  { name: 'hold-proc', when: nest.wantsLockedMounts, run: nest.holdHostProc },
  // ---- end of locked mounts, 1 of 2 ----
  // Root inside, where root is mapped: files the hooks create belong to root inside.
  { name: 'become-root', when: (c) => c.mapped, run: ops.becomeRoot },
  // -- containment (session keyring) --
  // A session keyring of its own, not the caller's (where a login keeps the user's keys).
  {
    name: 'session-keyring',
    when: (c) => c.cfg.newSessionKeyring,
    run: containment.joinNewSessionKeyring,
  },
  // -- end of containment --
  { name: 'hostname', run: ops.setHostname },
  // The caller's setup hooks, in order (mounts, pivot_root, a terminal...); each may return an undo.
  { name: 'setup', run: ops.runHooks },
  // Started in-process (here.ts), the parent cannot tell the child that the network is up: it is
  // blocked in the clone. The child reads the helper's readiness pipe itself, once the setup
  // (which the helper's own start-up overlaps) is done and before anything is filtered.
  { name: 'wait-network', when: (c) => c.networkReady !== undefined, run: ops.waitNetwork },
  // -- containment (seccomp without no_new_privs) --
  // Without no_new_privs the kernel takes a filter only from a holder of CAP_SYS_ADMIN: installed
  // here, while the child is still root inside with every capability (as runc does); what
  // follows, down to execve, then runs filtered.
  {
    name: 'seccomp-privileged',
    when: (c) => c.filters.length > 0 && !c.cfg.noNewPrivileges,
    run: containment.installSeccomp,
  },
  // -- end of containment --
  // The final uid, gid and groups, with root kept as the saved ids: the way back for the undos.
  {
    name: 'switch-user',
    when: (c) => c.mapped,
    run: ops.switchUser,
    undo: ops.switchBack,
  },
  // As the final user: a directory it may not enter fails here, still undoable.
  { name: 'chdir', run: ops.enterCwd },
  // The PATH search and the execute-permission check, as the final user, as execve would fail.
  { name: 'resolve', run: ops.resolveProgram, status: ops.execStatus },
  // ---- locked mounts (nest.ts), 2 of 2 ----
  // Into a user namespace nested in the container's, with new mount and uts namespaces: every
  // mount made so far is locked against root inside. The setup's undos cannot run after it.
  {
    name: 'lock-mounts',
    when: nest.wantsLockedMounts,
    run: nest.lockMounts,
    pointOfNoReturn: true,
  },
  // ---- end of locked mounts, 2 of 2 ----
  // The saved ids become the final ones: root (and every capability) is gone for good.
  {
    name: 'lock-user',
    when: (c) => c.mapped && c.cfg.capabilities === undefined,
    run: ops.lockUser,
    pointOfNoReturn: true,
  },
  // -- containment (capability sets) --
  // With capability sets, this row is the point of no return in place of lock-user: the bounding
  // set reduced, the final ids taken under keep-caps, then effective, permitted, inheritable
  // and ambient set.
  {
    name: 'capabilities',
    when: (c) => c.cfg.capabilities !== undefined,
    run: containment.applyCapabilitySets,
    pointOfNoReturn: true,
  },
  // -- end of containment --
  {
    name: 'no-new-privs',
    when: (c) => c.cfg.noNewPrivileges,
    run: ops.setNoNewPrivs,
  },
  // Tell the parent (which drains the descriptors the hooks sent); it says exec.
  { name: 'ready', run: ops.waitExec },
  // setsid and the terminal, descriptors into place, signals to default, the execve prepared.
  { name: 'prepare-exec', run: ops.prepareExec },
  // -- containment (seccomp) --
  // The filters, last before execve (after no_new_privs, which lets the kernel take them from
  // any user): only execve itself runs filtered.
  {
    name: 'seccomp',
    when: (c) => c.filters.length > 0 && c.cfg.noNewPrivileges,
    run: containment.installSeccomp,
  },
  // -- end of containment --
  // The prepared execve runs once these steps (and the clone child's function) have returned.
  { name: 'exec', run: ops.execProgram, status: ops.execStatus },
];

/**
 * Runs the rows in order. Returns the prepared execve when all went well, else the child's exit
 * status (a row failed: the undos have run and the error was sent).
 */
export function runSteps(steps: readonly ChildStep[], c: ChildContext): number | libc.PreparedExec {
  const undos: Array<{ step: ChildStepName; undo: Undo }> = [];
  let current: ChildStepName = steps[0]?.name ?? 'identity';
  c.defer = (undo) => undos.push({ step: current, undo });
  for (const step of steps) {
    if (step.when && !step.when(c)) continue;
    current = step.name;
    try {
      step.run(c);
      const { undo } = step;
      if (undo) c.defer(() => undo(c));
    } catch (e) {
      const failed = ops.undoAll(undos, e);
      c.channel.reportError(ops.serializeStepError(step.name, failed));
      return step.status ? step.status(e) : 1;
    }
    if (step.pointOfNoReturn) undos.length = 0;
  }
  return c.exec ?? 1;
}

/** The context of the clone child running the steps now (the memory is shared with it). */
let running: ChildContext | undefined;

/**
 * Runs in the clone child (PID 1 of the new pid namespace), in the launcher's memory, as the
 * function of libc.cloneThenExec: returns the prepared execve (which runs once this has
 * returned), or the child's exit status when it gives up.
 */
export function runChild(
  cfg: LaunchConfig,
  hooks: readonly SetupHook[],
  channel: SyncChannel,
  child: libc.CloneExecChild,
  more: ChildLaunch = {},
): number | libc.PreparedExec {
  const { join, filters = [], networkReady, parent } = more;
  running = ops.newContext(cfg, hooks, channel, join, filters, child, networkReady, parent);
  return runSteps(CHILD_STEPS, running);
}

/** What a launch may also give the child: each is there only for some launches. */
export interface ChildLaunch {
  /** enter(): the namespaces to join. */
  join?: JoinFds | undefined;
  /** The seccomp filters, in native memory. */
  filters?: readonly ChildFilter[];
  /** In-process spawns: the network helper's readiness pipe. */
  networkReady?: NetworkReadiness | undefined;
  /** A pidfd of the child's parent (child.ts, ParentWatch). */
  parent?: ParentWatch;
}

/** cloneThenExec's onExecFailure for runChild: the error (with errno) to the parent; the status. */
export function reportExecFailure(errno: number): number {
  return running ? ops.reportExecFailure(running, errno) : ops.EXIT_CANNOT_EXECUTE;
}

export type { ChildStepName };
