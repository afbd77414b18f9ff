import {
  accessSync,
  constants as fsConstants,
  readFileSync,
  readlinkSync,
  statSync,
} from 'node:fs';
import { fcntl as F, ioctl as IO, prctl as PR, signal } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { type SerializedError, type SpawnStep, serializeError } from './errors.js';
import type { LaunchConfig } from './protocol.js';
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

export type SetupHook = (ctx: SetupContext) => void;

class StepError extends Error {
  constructor(
    readonly serialized: SerializedError,
    readonly status: number,
  ) {
    super(serialized.message);
  }
}

function step<T>(name: SpawnStep, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StepError) throw e;
    throw new StepError(serializeError(name, e), 1);
  }
}

/**
 * Runs in the clone child (PID 1 of the new pid namespace), in the launcher's memory, until the
 * program is executed. Returns the child's exit status when it gives up; never returns after a
 * successful execve. It must stay synchronous: the event loop is frozen here.
 */
export function runChild(
  cfg: LaunchConfig,
  hooks: SetupHook[],
  channel: SyncChannel,
  join?: JoinFds,
): number {
  try {
    // The child must not outlive the parent during the setup either (a hook may block): every
    // change of the effective ids clears the death signal, so it is set again after each one.
    const dieWithParent = () => {
      if (cfg.dieWithParent) libc.prctl(PR.PR_SET_PDEATHSIG, signal.SIGKILL);
    };
    step('credentials', dieWithParent);
    // readlink of /proc/self still goes through the host's procfs: the host pid,
    // which newuidmap/newgidmap need.
    const hostPid = step('identity', () => Number(readlinkSync('/proc/self')));
    // What the id maps allow is read through /proc while it is still the host's: after joining a
    // mount namespace, or after the setup hooks (a pivot_root), /proc/self may be missing or
    // belong to another pid namespace. When entering, the maps are already final.
    let ids = join ? step('credentials', readIdMaps) : undefined;
    if (join) step('join', () => joinRest(join));
    channel.send({
      t: 'pid',
      pid: hostPid,
      ...(join?.intermediate ? { intermediate: join.intermediate } : {}),
    });
    if (channel.receive()?.t !== 'mapped') return 1;

    // The id the invoking user was mapped to: the program's default identity.
    const own = { uid: libc.getuid(), gid: libc.getgid() };
    // Credentials are only ours to choose inside a user namespace we created or joined.
    const inUserns =
      cfg.namespaces.includes('user') || (join?.early.some((ns) => ns.kind === 'user') ?? false);
    const mapped = inUserns && own.uid !== OVERFLOW_ID;
    // Become root inside for the setup, where root is mapped (full capabilities are ours anyway
    // as the namespace's creator; this makes files the hooks create belong to root inside).
    ids ??= step('credentials', readIdMaps);
    if (mapped && ids.rootMapped) {
      step('credentials', () => {
        libc.setresgid(0, 0, 0);
        libc.setresuid(0, 0, 0);
        dieWithParent();
      });
    }

    if (cfg.hostname !== undefined) step('hostname', () => libc.sethostname(cfg.hostname!));
    if (cfg.domainname !== undefined) step('hostname', () => libc.setdomainname(cfg.domainname!));

    const ctx: SetupContext = {
      config: undefined,
      hostPid,
      namespaces: cfg.namespaces,
      argv: cfg.argv,
      env: cfg.env,
      sendFd: (fd) => {
        libc.sendFds(cfg.fdChannel, [fd], 'f');
      },
    };
    cfg.setup.forEach((spec, i) => {
      step('setup', () => hooks[i]!({ ...ctx, config: spec.config }));
    });

    if (mapped) step('credentials', () => takeCredentials(cfg, own, ids.groupsAllowed));
    step('chdir', () => libc.chdir(cfg.cwd));
    step('credentials', () => {
      if (cfg.noNewPrivileges) libc.prctl(PR.PR_SET_NO_NEW_PRIVS, 1);
      // Set after the final credentials, which clear it (prctl(2)); the parent's death before
      // this point is seen as EOF on the channel below.
      dieWithParent();
    });

    channel.send({ t: 'ready' });
    if (channel.receive()?.t !== 'exec') return 1;
    return execProgram(cfg, channel);
  } catch (e) {
    const err = e instanceof StepError ? e : new StepError(serializeError('setup', e), 1);
    channel.trySend({ t: 'error', error: err.serialized });
    return err.status;
  }
}

const OVERFLOW_ID = 65534;

/** Namespace descriptors of the process being entered, opened by the launcher before cloning. */
export interface JoinFds {
  /** setns'd by the intermediate child before it clones this one (user, then pid). */
  early: Array<{ kind: string; fd: number; flag: number }>;
  /** setns'd by this child itself (mnt, uts, ipc, net, cgroup, time). */
  rest: Array<{ kind: string; fd: number; flag: number }>;
  intermediate?: number;
}

function joinRest(join: JoinFds): void {
  for (const ns of join.rest) {
    try {
      libc.setns(ns.fd, ns.flag);
    } catch (e) {
      throw Object.assign(e as Error, { path: `/proc/<pid>/ns/${ns.kind}` });
    }
  }
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

/** Whether root is mapped (uid and gid) and setgroups is allowed in this user namespace. */
function readIdMaps(): { rootMapped: boolean; groupsAllowed: boolean } {
  return {
    rootMapped: isMapped(0, '/proc/self/uid_map') && isMapped(0, '/proc/self/gid_map'),
    groupsAllowed: readFileSync('/proc/self/setgroups', 'utf8').trim() === 'allow',
  };
}

function takeCredentials(
  cfg: LaunchConfig,
  own: { uid: number; gid: number },
  groupsAllowed: boolean,
): void {
  const uid = cfg.uid ?? own.uid;
  const gid = cfg.gid ?? own.gid;
  // Host supplementary groups must not leak in. Where setgroups is denied (the single mapping),
  // they cannot be dropped; they show as nogroup, as with podman.
  if (groupsAllowed) libc.setgroups(cfg.groups ?? []);
  else if (cfg.groups && cfg.groups.length > 0) {
    throw Object.assign(
      new Error('supplementary groups need setgroups, which this id mapping denies'),
      {
        code: 'EPERM',
        syscall: 'setgroups',
      },
    );
  }
  libc.setresgid(gid, gid, gid);
  libc.setresuid(uid, uid, uid);
}

/**
 * An ignored disposition and the blocked mask survive execve, and Node ignores SIGPIPE and
 * SIGXFSZ: without this, `yes | head -1` inside would print "Broken pipe". Programs start with
 * every signal at its default and none blocked, as child_process gives them.
 */
function resetSignals(): void {
  for (let sig = 1; sig <= signal.SIGRTMAX; sig++) {
    if (sig === signal.SIGKILL || sig === signal.SIGSTOP) continue;
    try {
      libc.setSignalDisposition(sig, 'default');
    } catch {
      // The C library reserves a few real-time signals for itself (EINVAL): never ignored.
    }
  }
  libc.sigprocmask(signal.SIG_SETMASK, []);
}

function findProgram(file: string, searchPath: string): string {
  if (file.includes('/')) return file;
  let denied: string | undefined;
  for (const dir of searchPath.split(':')) {
    const candidate = `${dir || '.'}/${file}`;
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') denied ??= candidate;
    }
  }
  // execve of the last candidate gives the right errno (EACCES or ENOENT) and message.
  return denied ?? file;
}

function execProgram(cfg: LaunchConfig, channel: SyncChannel): number {
  const program = cfg.argv[0]!;
  try {
    if (cfg.newSession) {
      libc.setsid();
      if (cfg.controllingTerminal !== undefined)
        libc.ioctl(cfg.controllingTerminal, IO.TIOCSCTTY, 0);
    }
    // Node opens everything close-on-exec, 0-2 included: hand over 0..keepFds-1,
    // keep the channel close-on-exec (its EOF confirms the exec), close everything else.
    for (let fd = 0; fd < cfg.keepFds; fd++) libc.fcntl(fd, F.F_SETFD, 0);
    libc.fcntl(channel.fd, F.F_SETFD, F.FD_CLOEXEC);
    resetSignals();
    // The fd channel and everything else above the channel: closed.
    libc.closeRange(channel.fd + 1, 0xffffffff, 0);
    const path = findProgram(program, cfg.searchPath);
    libc.execve(path, cfg.argv, cfg.env);
    throw new Error(`execve ${path} returned`);
  } catch (e) {
    const err = serializeError('exec', e);
    if (err.syscall === 'execve') err.path = program;
    channel.trySend({ t: 'error', error: err });
    // As shells do: 127 for a program not found, 126 for one that cannot be executed.
    return err.code === 'ENOENT' ? 127 : 126;
  }
}
