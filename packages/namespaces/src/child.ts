/**
 * The operations of the container's first process, one function per row of the table in
 * steps.ts (read that first: it says in what order they run and why). They run in the clone
 * child (PID 1 of the new pid namespace), in the launcher's memory, and must stay synchronous:
 * the event loop is frozen there.
 */
import {
  accessSync,
  constants as fsConstants,
  readFileSync,
  readlinkSync,
  statSync,
} from 'node:fs';
import {
  errno as E,
  fcntl as F,
  ioctl as IO,
  prctl as PR,
  syscall as SYS,
  signal,
} from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import type { ChildFilter } from './containment-ops.js';
import { type SerializedError, type SpawnStep, serializeError } from './errors.js';
import type { LaunchConfig } from './protocol.js';
import type { ChildStepName } from './step-names.js';
import type { Undo } from './steps.js';
import type { SyncChannel } from './sync-channel.js';

/** What a setup hook receives, in the child, synchronously, before the program is executed. */
export interface SetupContext {
  /** The hook's own JSON config. */
  config: unknown;
  /** The child's pid in the host's pid namespace. */
  hostPid: number;
  /** The namespaces the child was created in. */
  namespaces: LaunchConfig['namespaces'];
  /** The program's argv and environment ("K=V"), as they will be executed. */
  argv: readonly string[];
  env: readonly string[];
  /**
   * Hands a descriptor to the parent (SCM_RIGHTS), where it appears in the process handle's
   * `receivedFds`, in order. A terminal's master side is the usual one.
   */
  sendFd(fd: number): void;
}

/**
 * A setup hook. It may return an undo: when a later step fails (a hook after it, the working
 * directory, the program not found), the undos run in reverse order, as root inside, before the
 * child exits, so that what the hook changed outside the child (mount points made in an image)
 * is put back.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook without an undo returns nothing.
export type SetupHook = (ctx: SetupContext) => Undo | void;

/** Namespace descriptors of the process being entered, opened by the launcher before cloning. */
export interface JoinFds {
  /** setns'd by the intermediate child before it clones this one (user, then pid). */
  early: Array<{ kind: string; fd: number; flag: number }>;
  /** setns'd by this child itself (mnt, uts, ipc, net, cgroup, time). */
  rest: Array<{ kind: string; fd: number; flag: number }>;
  intermediate?: number;
}

/** The state the rows share. */
export interface ChildContext {
  readonly cfg: LaunchConfig;
  readonly hooks: readonly SetupHook[];
  readonly channel: SyncChannel;
  readonly join: JoinFds | undefined;
  hostPid: number;
  /** Whether root is mapped and setgroups allowed (read before /proc may change). */
  ids?: { rootMapped: boolean; groupsAllowed: boolean };
  /** The ids the invoking user is mapped to: the program's default identity. */
  own: { uid: number; gid: number };
  /** Whether the credentials are ours to choose (a user namespace we created or joined, mapped). */
  mapped: boolean;
  /** The ids before switch-user, to go back to. */
  before?: { uid: number; gid: number };
  /** What execve will be given: argv[0] found on the search path. */
  program?: string;
  // ---- locked mounts ----
  /** The host's procfs, held from before the setup for lock-mounts (nest.ts). */
  hostProc?: number;
  /** seccomp filters to install (prepared in native memory by the launcher), in order. */
  readonly filters: readonly ChildFilter[];
  /**
   * The network helper's readiness pipe, read by the child itself (in-process spawns: the parent
   * is blocked in the clone): a line once the network is up, end of file if the helper gave up.
   */
  readonly networkReady?: NetworkReadiness | undefined;
  /** The clone child's handle, to prepare the execve that follows the steps (libc.cloneThenExec). */
  readonly child: libc.CloneExecChild;
  /** The prepared execve, returned by the steps so that it runs once they have returned. */
  exec?: libc.PreparedExec;
  /** Registers an undo for the row being run (set by the runner). */
  defer(undo: Undo): void;
  /**
   * Sets the death signal again where the launch asks for it (an id change clears it), then
   * makes sure the parent did not die before: its signal would never come.
   */
  keepDeathSignal(): void;
}

/**
 * A pidfd of the child's parent (the process that spawned it, whose death must end it), open
 * since before the clone: readable once that process has exited. The parent can die before the
 * death signal is set (the child's first row) or while an id change has cleared it; the
 * signal is then never sent, and the child, left to itself on memory whose other threads died
 * holding their locks, went on or hung (a test that SIGKILLs spawn loops found one waiting on
 * a futex with parent 1). getppid() cannot tell: in a new pid namespace it is 0 either way.
 */
export interface ParentWatch {
  fd: number;
}

/** Throws when the watched parent has exited. */
export function checkParentAlive(parent: ParentWatch | undefined): void {
  if (parent === undefined) return;
  const [revents] = libc.poll([{ fd: parent.fd, events: F.POLLIN }], 0);
  if (((revents ?? 0) & F.POLLIN) !== 0) {
    throw new libc.RootlessTsError('the process that spawned the container is gone', {
      code: 'ESRCH',
      errno: E.ESRCH,
    });
  }
}

export interface NetworkReadiness {
  fd: number;
  timeoutMs: number;
}

/** The overflow id: what an unmapped id shows as. */
const OVERFLOW_ID = 65534;

export function newContext(
  cfg: LaunchConfig,
  hooks: readonly SetupHook[],
  channel: SyncChannel,
  join: JoinFds | undefined,
  filters: readonly ChildFilter[],
  child: libc.CloneExecChild,
  networkReady?: NetworkReadiness,
  parent?: ParentWatch,
): ChildContext {
  return {
    cfg,
    hooks,
    channel,
    join,
    filters,
    child,
    networkReady,
    hostPid: 0,
    own: { uid: OVERFLOW_ID, gid: OVERFLOW_ID },
    mapped: false,
    defer: () => {},
    keepDeathSignal: () => {
      if (!cfg.dieWithParent) return;
      libc.prctl(PR.PR_SET_PDEATHSIG, signal.SIGKILL);
      checkParentAlive(parent);
    },
  };
}

// readlink of /proc/self still goes through the host's procfs: the host pid (the new pid
// namespace has no procfs of its own yet).
export function readIdentity(c: ChildContext): void {
  c.hostPid = Number(readlinkSync('/proc/self'));
}

function isMapped(id: number, file: string): boolean {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .some((line) => {
      const [inside, , count] = line.trim().split(/\s+/).map(Number);
      return inside !== undefined && count !== undefined && id >= inside && id < inside + count;
    });
}

/**
 * Whether root is mapped (uid and gid) and setgroups is allowed in this user namespace. Read
 * through /proc while it is still the host's: after joining a mount namespace, or after the
 * setup hooks (a pivot_root), /proc/self may be missing or belong to another pid namespace.
 */
export function readIdMaps(c: ChildContext): void {
  c.ids = {
    rootMapped: isMapped(0, '/proc/self/uid_map') && isMapped(0, '/proc/self/gid_map'),
    groupsAllowed: readFileSync('/proc/self/setgroups', 'utf8').trim() === 'allow',
  };
}

export function joinRest(c: ChildContext): void {
  for (const ns of c.join?.rest ?? []) {
    try {
      libc.setns(ns.fd, ns.flag);
    } catch (e) {
      throw libc.wrapError(e, `joining the ${ns.kind} namespace`, {
        path: `/proc/<pid>/ns/${ns.kind}`,
      });
    }
  }
}

export function waitMapped(c: ChildContext): void {
  // The parent writes uid_map and gid_map itself under the single mapping, and pasta or
  // slirp4netns open /proc/<pid>/ns: both need this memory dumpable (else its /proc files
  // belong to root). A pooled launcher's memory, which this child shares, is not: dumpable for
  // this wait only, while no program of this container runs yet. Never when entering a running
  // container (enter()): this process is then in the container's pid namespace, where root
  // could open its memory and descriptors (the parent needs neither: the maps exist).
  const dumpable = libc.prctl(PR.PR_GET_DUMPABLE);
  const lift = dumpable !== 1 && c.join === undefined;
  if (lift) libc.prctl(PR.PR_SET_DUMPABLE, 1);
  try {
    c.channel.reportPid(c.hostPid, c.join?.intermediate);
    c.channel.waitMapped();
  } finally {
    if (lift) libc.prctl(PR.PR_SET_DUMPABLE, dumpable);
  }
  c.own = { uid: libc.getuid(), gid: libc.getgid() };
  // Credentials are only ours to choose inside a user namespace we created or joined.
  const inUserns =
    c.cfg.namespaces.includes('user') || (c.join?.early.some((ns) => ns.kind === 'user') ?? false);
  c.mapped = inUserns && c.own.uid !== OVERFLOW_ID;
  if (!c.ids) readIdMaps(c);
}

export function becomeRoot(c: ChildContext): void {
  if (!c.ids?.rootMapped) return;
  libc.setresgid(0, 0, 0);
  libc.setresuid(0, 0, 0);
  c.keepDeathSignal();
}

export function setHostname(c: ChildContext): void {
  if (c.cfg.hostname !== undefined) libc.sethostname(c.cfg.hostname);
  if (c.cfg.domainname !== undefined) libc.setdomainname(c.cfg.domainname);
}

export function runHooks(c: ChildContext): void {
  const ctx = {
    hostPid: c.hostPid,
    namespaces: c.cfg.namespaces,
    argv: c.cfg.argv,
    env: c.cfg.env,
    sendFd: (fd: number) => {
      libc.sendFds(c.cfg.fdChannel, [fd], 'f');
    },
  };
  c.cfg.setup.forEach((spec, i) => {
    const undo = c.hooks[i]!({ ...ctx, config: spec.config });
    if (typeof undo === 'function') c.defer(undo);
  });
}

/**
 * Takes the final uid, gid and groups as real and effective ids, keeping the current ones (root
 * inside, where it is mapped) as the saved ids: the effective capabilities are gone, so the
 * working directory and the program are checked with the final user's rights, yet the undo can
 * go back to root and get them back for the other undos.
 */
export function switchUser(c: ChildContext): void {
  const uid = c.cfg.uid ?? c.own.uid;
  const gid = c.cfg.gid ?? c.own.gid;
  const before = { uid: libc.getuid(), gid: libc.getgid() };
  // Host supplementary groups must not leak in. Where setgroups is denied (the single mapping),
  // they cannot be dropped; they show as nogroup, as with podman.
  if (c.ids?.groupsAllowed) libc.setgroups(c.cfg.groups ?? []);
  else if (c.cfg.groups && c.cfg.groups.length > 0) {
    throw new libc.RootlessTsError(
      'supplementary groups need setgroups, which this id mapping denies',
      { errno: E.EPERM, code: 'EPERM', syscall: 'setgroups' },
    );
  }
  c.before = before;
  libc.setresgid(gid, gid, before.gid);
  libc.setresuid(uid, uid, before.uid);
  c.keepDeathSignal();
}

/** Back to the ids before switch-user (root inside), with their capabilities. */
export function switchBack(c: ChildContext): void {
  const before = c.before;
  if (!before) return;
  libc.setresuid(before.uid, before.uid, before.uid);
  libc.setresgid(before.gid, before.gid, before.gid);
  c.keepDeathSignal();
}

export function enterCwd(c: ChildContext): void {
  libc.chdir(c.cfg.cwd);
}

/**
 * argv[0] as execvp finds it: with a slash, as it is; else the first executable regular file
 * of that name in the search path. Fails with the errno execve would give (ENOENT: not found;
 * EACCES: found but not executable, or not a regular file), checked as the final user.
 */
export function resolveProgram(c: ChildContext): void {
  const file = c.cfg.argv[0]!;
  const fail = (errno: number, code: string): never => {
    throw new libc.RootlessTsError(
      `${file}: ${code === 'ENOENT' ? 'not found' : 'cannot be executed'}`,
      {
        errno,
        code,
        syscall: 'execve',
        path: file,
      },
    );
  };
  if (file.includes('/')) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(file);
    } catch (e) {
      const f = libc.errnoFields(e);
      fail(f.errno ?? E.ENOENT, f.code ?? 'ENOENT');
      return;
    }
    if (!st.isFile() || !executable(file)) fail(E.EACCES, 'EACCES');
    c.program = file;
    return;
  }
  let denied = false;
  for (const dir of c.cfg.searchPath.split(':')) {
    const candidate = `${dir || '.'}/${file}`;
    try {
      // A directory without it is the usual case: no exception then (Node builds a whole
      // error for each, and loads its error-name table for the first).
      if (!statSync(candidate, { throwIfNoEntry: false })?.isFile()) continue;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') denied = true;
      continue;
    }
    if (executable(candidate)) {
      c.program = candidate;
      return;
    }
    denied = true;
  }
  if (denied) fail(E.EACCES, 'EACCES');
  fail(E.ENOENT, 'ENOENT');
}

/** access(X_OK) with the real ids, which switch-user made the final ones. */
function executable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The saved ids become the final ones: no way back to root, no capability left. */
export function lockUser(c: ChildContext): void {
  const uid = libc.getuid();
  const gid = libc.getgid();
  libc.setresgid(gid, gid, gid);
  libc.setresuid(uid, uid, uid);
  c.keepDeathSignal();
}

export function setNoNewPrivs(): void {
  libc.prctl(PR.PR_SET_NO_NEW_PRIVS, 1);
}

/**
 * Waits for the network helper's line on its readiness pipe (pasta writes its pid there once the
 * network is configured). End of file first means the helper exited: the parent then asks it why.
 */
export function waitNetwork(c: ChildContext): void {
  const { fd, timeoutMs } = c.networkReady!;
  const deadline = Date.now() + timeoutMs;
  const buf = Buffer.alloc(64);
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 || libc.poll([{ fd, events: F.POLLIN }], left)[0] === 0)
      throw new Error(`the network was not up within ${timeoutMs} ms`);
    const n = libc.read(fd, buf);
    if (n === 0) throw new Error('the network helper exited before the network was up');
    if (buf.subarray(0, n).includes(0x0a)) break;
  }
  libc.close(fd);
}

export function waitExec(c: ChildContext): void {
  c.channel.reportReady();
  c.channel.waitExec();
}

/**
 * An ignored disposition and the blocked mask survive execve, and Node ignores SIGPIPE and
 * SIGXFSZ: without this, `yes | head -1` inside would print "Broken pipe". Programs start with
 * every signal at its default and none blocked, as child_process gives them.
 */
/** The kernel's sigset_t: one bit per signal, 1 to SIGRTMAX. */
const KERNEL_SIGSET_BYTES = signal.SIGRTMAX / 8;

export function resetSignals(): void {
  for (let sig = 1; sig <= signal.SIGRTMAX; sig++) {
    if (sig === signal.SIGKILL || sig === signal.SIGSTOP) continue;
    try {
      libc.setSignalDisposition(sig, 'default');
    } catch {
      // The C library reserves a few real-time signals for itself and refuses them (EINVAL);
      // glibc's posix_spawn, which starts the launcher, leaves them ignored, and an ignored
      // disposition survives execve. The kernel's rt_sigaction takes a zeroed sigaction
      // (handler SIG_DFL, no flags, empty mask; 32 bytes cover x64's and arm64's layouts).
      libc.rawSyscall(SYS.SYS_rt_sigaction, sig, Buffer.alloc(32), null, KERNEL_SIGSET_BYTES);
    }
  }
  libc.sigprocmask(signal.SIG_SETMASK, []);
}

/** Exit status when the program cannot be executed: as shells give it. */
export const EXIT_NOT_FOUND = 127;
export const EXIT_CANNOT_EXECUTE = 126;

export function execStatus(e: unknown): number {
  return libc.errnoFields(e).code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
}

/**
 * What the program's process must be before execve, done before the seccomp filter so that a
 * profile never has to allow it: a session of its own (and its terminal), descriptors 0..keepFds-1
 * inherited and everything else closed, signals at their defaults.
 */
export function prepareExec(c: ChildContext): void {
  const { cfg, channel } = c;
  if (cfg.newSession) {
    libc.setsid();
    if (cfg.controllingTerminal !== undefined) libc.ioctl(cfg.controllingTerminal, IO.TIOCSCTTY, 0);
  }
  // Node opens everything close-on-exec, 0-2 included: hand over 0..keepFds-1, keep the channel
  // close-on-exec (its EOF confirms the exec), close everything else.
  for (let fd = 0; fd < cfg.keepFds; fd++) libc.fcntl(fd, F.F_SETFD, 0);
  libc.fcntl(channel.fd, F.F_SETFD, F.FD_CLOEXEC);
  resetSignals();
  // The fd channel and everything else above the channel: closed.
  libc.closeRange(channel.fd + 1, 0xffffffff, 0);
  // The execve, prepared now (native copies of path, argv and env, and its context, which saves
  // the signal mask just reset): after this, down to the exec, nothing allocates native memory
  // or makes a system call of its own, and the seccomp filter comes in between.
  c.exec = c.child.prepareExec(c.program ?? cfg.argv[0]!, cfg.argv, cfg.env);
}

/**
 * The last row: the steps return the prepared execve, which runs once the clone child's
 * function has returned (so the launcher's JavaScript state is left sound: it serves the next
 * spawn). Between the seccomp filter and execve only V8's return path and setcontext's
 * rt_sigprocmask run.
 */
export function execProgram(c: ChildContext): void {
  if (!c.exec) throw new Error('exec: nothing prepared (prepare-exec did not run)');
}

/**
 * In the clone child, when the prepared execve returned (it failed): sends the error, with its
 * errno, to the parent; returns the exit status (127 not found, else 126, as shells give).
 */
export function reportExecFailure(c: ChildContext, errno: number): number {
  const path = c.cfg.argv[0]!;
  const e = libc.wrapError(
    libc.errnoError(errno, 'execve', c.program ?? path),
    `executing ${path}`,
    {
      path,
    },
  );
  c.channel.reportError(serializeError('exec', e));
  return execStatus(e);
}

/** Runs the undos in reverse; an undo that fails is added to the error's context. */
export function undoAll(undos: Array<{ step: ChildStepName; undo: Undo }>, err: unknown): unknown {
  let out = err;
  for (const { step, undo } of undos.reverse()) {
    try {
      undo();
    } catch (e) {
      out = libc.wrapError(out, `undoing ${step} failed too (${libc.formatErrorChain(e)})`);
    }
  }
  return out;
}

export function serializeStepError(step: SpawnStep, e: unknown): SerializedError {
  return serializeError(step, e);
}
