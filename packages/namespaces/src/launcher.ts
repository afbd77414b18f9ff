/**
 * The launcher: a Node process that starts containers (a Node process cannot unshare a user
 * namespace: it always runs several threads). It reads the config from the channel, imports the
 * setup hooks, and clones the container child with CLONE_PARENT | CLONE_VM | CLONE_VFORK and the
 * namespace flags (libc.cloneThenExec). The child runs JavaScript in this process's memory while
 * this thread waits, and executes the program only once that JavaScript has returned: this
 * process's V8 state is then sound, and it may clone again.
 *
 * Usage: node --single-threaded launcher.cjs CHANNEL_FD (the build bundles it into one CommonJS
 * file; an ESM build of it works the same). Started for one spawn, it is killed by the parent
 * before the exec.
 *
 * Pooled (pool.ts): node --single-threaded launcher.cjs 3 --pooled PARENT_PID, with /dev/null as
 * 0-2, the control channel as 3 and its fd channel as 4. It serves spawn after spawn, one at a
 * time: it says it is warm and waits; a spawn sends it, over the fd channel, the program's
 * descriptors followed by that spawn's own channel and fd channel, and the rest of the handshake
 * runs on that channel. Its clone child moves them into the layout a launcher started for the
 * spawn has. Once the child has exec'd (or given up), the launcher closes what it received and
 * says it is warm again.
 */
import { fstatSync, readlinkSync } from 'node:fs';
import { clone as CL, fcntl as F, ioctl as IO, prctl as PR, signal } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import type { JoinFds, ParentWatch, SetupHook } from './child.js';
import { type ChildFilter, prepareFilters, releaseFilters } from './containment-ops.js';
import { serializeError } from './errors.js';
import { cloneFlag, cloneFlags } from './kinds.js';
import { cachedHook, collectYoung, deathSignal, placeFds, stackTop } from './launch-support.js';
import { FD_CHUNK, type LaunchConfig } from './protocol.js';
import { reportExecFailure, runChild } from './steps.js';
import { SyncChannel } from './sync-channel.js';

/**
 * A pooled launcher, warm: dies with the thread that started it, says it is warm and waits to
 * be taken; returns what the spawn sent (the program's descriptors, then the spawn's channel
 * and fd channel), or null when the parent is gone.
 */
function waitToBeTaken(control: SyncChannel, fdChannel: number, parent: number): number[] | null {
  // Idle, it would also see EOF when the parent dies; this also covers a parent that dies while
  // it clones (a worker_thread's end counts as the parent's death: the README's caveat).
  libc.prctl(PR.PR_SET_PDEATHSIG, signal.SIGKILL);
  if (libc.getppid() !== parent) return null;
  control.reportWarm();
  let count: number;
  try {
    count = control.waitFds();
  } catch {
    return null;
  }
  const fds: number[] = [];
  while (fds.length < count) {
    const got = libc.recvFds(fdChannel, { maxFds: FD_CHUNK, maxData: 1 });
    if (got.data.length === 0) return null;
    fds.push(...got.fds);
  }
  return fds;
}

/**
 * One spawn: the config from `channel`, the hooks, the clone. `received`: for a pooled
 * launcher, the program's descriptors and the spawn's fd channel (the clone child moves them
 * into place). Returns the launcher's exit status when it cannot go on, 0 once the child has
 * exec'd or given up (it reported why).
 */
async function launch(
  channel: SyncChannel,
  parent: number,
  received?: { program: number[]; fdChannel: number },
): Promise<number> {
  let cfg: LaunchConfig;
  try {
    cfg = channel.waitConfig();
  } catch (e) {
    channel.reportError(serializeError('launcher', e));
    return 2;
  }
  if (received && received.program.length !== cfg.keepFds) {
    channel.reportError({
      step: 'launcher',
      message: `received ${received.program.length} descriptors for the program, not ${cfg.keepFds}`,
    });
    return 2;
  }
  let hooks: SetupHook[];
  try {
    hooks = await Promise.all(cfg.setup.map(cachedHook));
  } catch (e) {
    channel.reportError(serializeError('setup', e));
    return 1;
  }
  // The seccomp filters into native memory the clone child shares: it installs each with one
  // system call, last before execve. Unmapped once it is done (a pooled launcher lives on).
  let filters: ChildFilter[];
  try {
    filters = prepareFilters(cfg.seccomp);
  } catch (e) {
    channel.reportError(serializeError('launcher', e));
    return 1;
  }
  // The clone child runs JavaScript on this process's heap with no event loop.
  collectYoung();
  const flags = CL.CLONE_PARENT | CL.CLONE_VM | CL.CLONE_VFORK | signal.SIGCHLD;
  const onExecFailure = reportExecFailure;
  // The clone child's parent is ours (CLONE_PARENT): a pidfd of it, for the child to tell that
  // it died before the child's death signal was set (child.ts, ParentWatch).
  let parentFd: number;
  try {
    parentFd = libc.pidfdOpen(parent);
  } catch (e) {
    releaseFilters(filters);
    channel.reportError(serializeError('launcher', e));
    return 1;
  }
  // The clone child's first act, for a pooled launcher: its descriptors into place.
  const inChild =
    (
      run: (
        ch: SyncChannel,
        child: libc.CloneExecChild,
        watch: ParentWatch,
      ) => number | libc.PreparedExec,
      join?: JoinFds,
    ) =>
    (child: libc.CloneExecChild) => {
      // A copy: placeFds moves the descriptor, and this memory is the launcher's too.
      const watch = { fd: parentFd };
      const placed = received
        ? placeFds(received.program, channel, received.fdChannel, cfg.keepFds, join, [watch])
        : channel;
      return placed ? run(placed, child, watch) : 1;
    };
  const restore = snapshotProcessState();
  try {
    if (cfg.join) {
      const join = openJoinFds(cfg.join);
      libc.cloneThenExec(
        inChild(
          (ch, child, parent) => runJoiner(cfg, hooks, ch, child, join, filters, parent),
          join,
        ),
        flags,
        { onExecFailure, stackTop: stackTop(), ...deathSignal(cfg) },
      );
    } else {
      libc.cloneThenExec(
        inChild((ch, child, parent) => runChild(cfg, hooks, ch, child, { filters, parent })),
        flags | cloneFlags(cfg.namespaces),
        { onExecFailure, stackTop: stackTop(), ...deathSignal(cfg) },
      );
    }
  } catch (e) {
    channel.reportError(serializeError(cfg.join ? 'join' : 'clone', e));
    return 1;
  } finally {
    releaseFilters(filters);
    libc.close(parentFd);
    restore();
  }
  return 0;
}

/**
 * What a setup hook may change in the child that lands in this process's memory, not only the
 * child's: the environment (Node's process.env writes the C library's environ, in the shared
 * memory) and Node's cached working directory (process.chdir in the child moves the child
 * alone: no CLONE_FS). Returns the function that puts both back after the clone, so that the
 * next spawn of a pooled launcher starts from the same state.
 */
function snapshotProcessState(): () => void {
  const env = { ...process.env };
  const cwd = process.cwd();
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
    for (const [key, value] of Object.entries(env)) {
      if (process.env[key] !== value) process.env[key] = value;
    }
    if (process.cwd() !== cwd) process.chdir(cwd);
  };
}

/** A pooled launcher: spawn after spawn until the parent is gone or a spawn went wrong here. */
async function serve(controlFd: number, parent: number): Promise<number> {
  // Non-dumpable for its whole life: it lives on beside the containers it starts, in the host's
  // namespaces, as the same user that root inside is mapped to. Dumpable, a program in a
  // container sharing the host's pid namespace could open its /proc files (its descriptors:
  // the control channel) or ptrace it, and through it start the next container as it likes, or
  // act outside every namespace. Its clone children share the flag (it belongs to the memory)
  // until they exec, as runc's init is non-dumpable.
  libc.prctl(PR.PR_SET_DUMPABLE, 0);
  const control = new SyncChannel(controlFd);
  for (;;) {
    const received = waitToBeTaken(control, controlFd + 1, parent);
    if (!received) return 2;
    if (received.length < 2) {
      for (const fd of received) libc.close(fd);
      return 2;
    }
    const [channelFd, fdChannel] = received.slice(-2) as [number, number];
    let status: number;
    try {
      status = await launch(new SyncChannel(channelFd), parent, {
        program: received.slice(0, -2),
        fdChannel,
      });
    } finally {
      // The child has its copies (or is gone): ours would keep the spawn's channel open, and
      // its end is what tells the parent the exec happened. The channel last: once the parent
      // sees its end, this launcher holds nothing of the spawn.
      for (const fd of received) if (fd !== channelFd) libc.close(fd);
      libc.close(channelFd);
    }
    // A spawn that failed here (its error sent) leaves the launcher sound; a broken channel
    // (status 2) does not.
    if (status === 2) return status;
  }
}

async function main(): Promise<number> {
  const channelFd = Number(process.argv[2]);
  if (process.argv[3] === '--pooled') return serve(channelFd, Number(process.argv[4]));
  // Started for this one spawn by the process that waits for it: the container's parent.
  return launch(new SyncChannel(channelFd), libc.getppid());
}

/**
 * Opens the namespaces of the process to enter. The user namespace comes first (it grants the
 * capabilities the other setns calls need); a pid namespace only applies to children, so the
 * child that joins it clones the one that runs the program.
 */
function openJoinFds(join: NonNullable<LaunchConfig['join']>): JoinFds {
  const out: JoinFds = { early: [], rest: [] };
  for (const kind of join.namespaces) {
    const path = `/proc/${join.pid}/ns/${kind}`;
    // Already there (the host's own, say): setns into one's own user namespace fails (EINVAL).
    if (readlinkSync(path) === readlinkSync(`/proc/self/ns/${kind}`)) continue;
    const entry = { kind, fd: libc.open(path, F.O_RDONLY | F.O_CLOEXEC), flag: cloneFlag(kind) };
    (kind === 'user' || kind === 'pid' ? out.early : out.rest).push(entry);
  }
  out.early.sort((a, b) => Number(b.kind === 'user') - Number(a.kind === 'user'));
  ownerOfPidFirst(out);
  return out;
}

/**
 * A container whose program runs in a nested user namespace (spawn's lockMounts): its pid
 * namespace belongs to the outer user namespace, and setns into a pid namespace needs
 * CAP_SYS_ADMIN over its owner, which a process of the inner one lacks. So the owner of the
 * pid namespace is joined first (ioctl NS_GET_USERNS), the program's own user namespace last,
 * after the mount and uts namespaces (root of the outer one has every right over them).
 */
function ownerOfPidFirst(out: JoinFds): void {
  const user = out.early.find((ns) => ns.kind === 'user');
  const pid = out.early.find((ns) => ns.kind === 'pid');
  if (!user || !pid) return;
  const owner = libc.ioctl(pid.fd, IO.NS_GET_USERNS);
  libc.fcntl(owner, F.F_SETFD, F.FD_CLOEXEC);
  const a = fstatSync(owner);
  const b = fstatSync(user.fd);
  if (a.dev === b.dev && a.ino === b.ino) {
    libc.close(owner);
    return;
  }
  out.rest.push(user);
  out.early[out.early.indexOf(user)] = { kind: 'user', fd: owner, flag: user.flag };
}

/**
 * The clone child of enter(): joins the user and pid namespaces; for a pid namespace, which
 * only applies to children, it then clones the process that runs the program.
 */
function runJoiner(
  cfg: LaunchConfig,
  hooks: SetupHook[],
  channel: SyncChannel,
  child: libc.CloneExecChild,
  join: JoinFds,
  filters: ChildFilter[],
  parent: ParentWatch,
): number | libc.PreparedExec {
  try {
    for (const ns of join.early) libc.setns(ns.fd, ns.flag);
    if (!join.early.some((ns) => ns.kind === 'pid'))
      return runChild(cfg, hooks, channel, child, { join, filters, parent });
    const intermediate = Number(readlinkSync('/proc/self'));
    const flags = CL.CLONE_PARENT | CL.CLONE_VM | CL.CLONE_VFORK | signal.SIGCHLD;
    // The child appears in the container's pid namespace while it still runs on the launcher's
    // memory and holds its host descriptors, and root there has CAP_SYS_PTRACE over it. A
    // non-dumpable memory (the flag belongs to the memory, shared by the launcher, this process
    // and the child) keeps /proc/<pid>/mem, fd, environ… out of the container's reach until the
    // exec resets it for the program (runc's CVE-2016-9962). The stack top is found first: it
    // reads /proc/thread-self/syscall (dumpable for that moment: this process is not in the
    // container's pid namespace, only its children will be). The launcher is not used again
    // after this: the parent kills it before the exec.
    const top = stackTop();
    libc.prctl(PR.PR_SET_DUMPABLE, 0);
    libc.cloneThenExec(
      (inner) =>
        runChild(cfg, hooks, channel, inner, { join: { ...join, intermediate }, filters, parent }),
      flags,
      { stackTop: top, onExecFailure: reportExecFailure, ...deathSignal(cfg) },
    );
    return 0;
  } catch (e) {
    channel.reportError(serializeError('join', e));
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    // A bug of ours: tell the parent rather than the program's stderr.
    new SyncChannel(Number(process.argv[2])).reportError(serializeError('launcher', e));
    process.exit(1);
  },
);
