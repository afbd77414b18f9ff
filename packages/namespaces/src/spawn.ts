import type { Readable, Writable } from 'node:stream';
import { errno as E, fcntl as F } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import {
  type CapabilitySets,
  capabilityConfig,
  type SeccompOption,
  seccompPlan,
} from './containment.js';
import { SpawnError, spawnError } from './errors.js';
import { canSpawnHere, spawnHere } from './here.js';
import { Inbox, ParentEnd } from './inbox.js';
import { namespaceDifferences, namespaceOf } from './inspect.js';
import { type NamespaceKind, parseNamespaceKind } from './kinds.js';
import { launcherPath } from './launcher-path.js';
import {
  type NetworkHandle,
  type NetworkMode,
  type NetworkOptions,
  type NetworkPlan,
  planNetwork,
} from './network.js';
import type { LauncherPool, PooledLauncher } from './pool.js';
import { isPreparedSpawn, type PreparedSpawn } from './prepared.js';
import { encode, type LaunchConfig, type SetupHookSpec, type ToChild } from './protocol.js';
import { type LauncherProcess, spawnLauncher } from './spawn-launcher.js';
import { type Beside, handle, killQuietly, startBeside, withDeadline } from './spawn-support.js';
import { Plumbing, type StdioSpec } from './stdio.js';

export type { StdioSpec };

/** Writes the id maps of the child whose host pid it is given (from the parent's namespaces). */
export type IdMapper = (hostPid: number) => Promise<void> | void;

export interface SpawnOptions {
  /** The program and its arguments; argv[0] is looked up in `path` when it has no slash. */
  argv: string[];
  /** The whole environment of the program: nothing is inherited. */
  env?: Record<string, string>;
  /** Directories to search for argv[0] (default: env.PATH, else a standard PATH). */
  path?: string;
  /** Working directory inside, absolute (default `/`), entered after the setup hooks. */
  cwd?: string;
  /** Namespaces to create (default user, mnt, pid, uts, ipc). `user` is required unprivileged. */
  namespaces?: Array<NamespaceKind | 'mount'>;
  /** Writes the child's uid_map/gid_map; without it the child stays unmapped (uid 65534). */
  idmap?: IdMapper;
  /**
   * Starts something for the container from this process (a network helper of your own, say) as
   * soon as the child exists, given its host pid: it runs beside the id maps and the child's
   * setup, and the program starts only once it has resolved. A rejection fails the spawn (step
   * `sidecar`); what it started is yours to stop, also then: the spawn rejects only after it
   * has settled.
   */
  sidecar?: (pid: number) => Promise<unknown>;
  /**
   * Do the launcher's part in this process rather than in a launcher (a second Node process):
   * one Node start-up less, for a process that starts a container and little else (the
   * `rootless` CLI). Taken only when this process runs `node --single-threaded` (V8 then runs no
   * background thread that could work on the heap while the child runs JavaScript on it), from
   * its main thread, with a user namespace, and without `pool` or `nodePath`; otherwise a
   * launcher is used as usual. The id maps, the network and `sidecar` are then set up first, on
   * a process that holds the new user (and network) namespace, whose pid they are given;
   * and this thread is blocked while the child sets up (no setup deadline).
   */
  inProcess?: boolean;
  /**
   * With `inProcess`: the holder and network that `prepareSpawn` started ahead, taken when they
   * are what this spawn would start (a network namespace exactly when it wants one, the same
   * `network`), and discarded otherwise (or when a launcher is used). The spawn owns them from
   * then on, as if it had started them.
   */
  prepared?: PreparedSpawn;
  hostname?: string;
  domainname?: string;
  /** Final credentials inside (default: the id the invoking user is mapped to). */
  uid?: number;
  gid?: number;
  /** Supplementary groups inside (default none: host groups never leak in). */
  groups?: number[];
  /** Hooks run synchronously in the child, in order, after the id mapping, before exec. */
  setup?: SetupHookSpec[];
  /** stdin, stdout, stderr: one spec for all three or one each (default inherit). */
  stdio?: StdioSpec | [StdioSpec, StdioSpec, StdioSpec];
  /** Host descriptors handed to the program as 3, 4, … */
  extraFds?: number[];
  /** Set no_new_privs before exec (default true, as bubblewrap does). */
  noNewPrivileges?: boolean;
  /** Kill the program when this process dies (default true). */
  dieWithParent?: boolean;
  /**
   * Make the program a session leader (default true): the caller's terminal is then not its
   * controlling terminal, so it cannot push input into it (TIOCSTI). With `controllingTerminal`,
   * that descriptor (0-2 or an extra one, a pty of its own) becomes its terminal.
   */
  newSession?: boolean;
  controllingTerminal?: number;
  // ---- locked mounts ----
  /**
   * Run the program in a user namespace nested in the new one, with its own mount and uts
   * namespaces (default true, with `user` and `mnt` namespaces and a mapping): the mounts the
   * setup hooks made are then locked, so that root inside cannot unmount, remount or uncover
   * them, nor mount a proc. Root inside can still set the hostname and mount a tmpfs.
   */
  lockMounts?: boolean;
  // -- containment --
  /** Give the program a new session keyring of its own, not the caller's (default true). */
  newSessionKeyring?: boolean;
  /**
   * The program's bounding, effective, permitted, inheritable and ambient capability sets (as
   * an OCI runtime's `process.capabilities`: a set left out is empty). Default: untouched (root
   * inside keeps every capability of its user namespace).
   */
  capabilities?: CapabilitySets;
  /**
   * Its seccomp filter: `{ profile }` (compiled here), `{ bpf, flags }` or `'unconfined'`.
   * Default, and beside a profile: the terminal guard (TIOCSTI and TIOCLINUX denied).
   */
  seccomp?: SeccompOption;
  // -- end of containment --
  /** Deadline of each handshake step (default 10 s); the setup hooks get `setupTimeoutMs` (default 60 s). */
  timeoutMs?: number;
  setupTimeoutMs?: number;
  /** The Node binary that runs the launcher (default: this one). */
  nodePath?: string;
  /**
   * Borrow a launcher from this pool (createLauncherPool) rather than start one: it serves
   * this spawn and is given back once the program runs. While all of the pool's launchers are
   * busy, the spawn waits for one; with another `nodePath`, or a closed pool, one is started
   * as without.
   */
  pool?: LauncherPool;
  /**
   * A network of its own (@rootless-ts/network): `none` (only `lo`, up), `pasta` or
   * `slirp4netns` (connected, with published `ports`), or `host` (the host's: no network
   * namespace). A private mode adds the `net` namespace and a setup hook, run before the
   * caller's, that brings `lo` up; the helper is started once the id maps are written, the
   * program runs only once it says the network is up, and it is stopped when the program has
   * exited (or the spawn failed). Default: no network namespace unless `namespaces` has `net`.
   */
  network?: NetworkMode | NetworkOptions;
}

/** A program running in new namespaces. */
export interface NamespacedProcess {
  /** Its pid in the host's pid namespace. */
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Descriptors the setup hooks sent with `ctx.sendFd`, in order; the caller owns (and closes) them. */
  readonly receivedFds: readonly number[];
  /**
   * Settles when the program has ended, its piped output has been read to the end and the
   * network's helper is gone (child_process's 'close').
   */
  readonly exited: Promise<libc.ExitStatus>;
  /**
   * Settles as soon as the program has ended and been reaped (child_process's 'exit'), with the
   * network's helper already told to stop (SIGKILL): what a command that exits then needs. The
   * helper's own exit may take a little longer (pasta frees its buffers, about 25 ms here).
   */
  readonly exitStatus: Promise<libc.ExitStatus>;
  /**
   * The `network` option's network, up: its mode, helper pid, published ports (host ports
   * chosen), DNS forwarder. It is closed by itself once the program has exited.
   */
  readonly network?: NetworkHandle;
  /** Sends a signal (default SIGTERM); false when the program is already gone. */
  kill(signal?: NodeJS.Signals | number): boolean;
}

/** Where argv[0] is searched when neither `path` nor env.PATH says (podman's and docker's PATH). */
export const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_NAMESPACES: NamespaceKind[] = ['user', 'mnt', 'pid', 'uts', 'ipc'];

/** Validates the options and turns them into the launcher's config (pure). */
export function launchConfig(options: SpawnOptions): LaunchConfig {
  const { cfg, compile } = checkedConfig(options);
  compile();
  return cfg;
}

/**
 * launchConfig in two parts: everything checked (a bad option fails here, before anything
 * starts), and `compile()`, which completes the config with the seccomp programs: spawn runs it
 * while the launcher starts, on the other core.
 */
function checkedConfig(options: SpawnOptions): { cfg: LaunchConfig; compile: () => void } {
  const fail = (message: string, cause?: unknown) =>
    new SpawnError({ step: 'options', message }, cause !== undefined ? { cause } : undefined);
  if (
    !Array.isArray(options.argv) ||
    options.argv.length === 0 ||
    options.argv.some((a) => typeof a !== 'string')
  ) {
    throw fail('argv must be a non-empty array of strings');
  }
  if (options.argv[0] === '') throw fail('argv[0] is empty');
  // C strings end at the first NUL: the kernel would get a shorter argument than the caller
  // checked (child_process refuses these too).
  const noNul = (what: string, value: string | undefined) => {
    if (value?.includes('\0')) throw fail(`${what} must not contain a NUL byte`);
  };
  for (const [i, a] of options.argv.entries()) noNul(`argv[${i}]`, a);
  for (const [k, v] of Object.entries(options.env ?? {})) {
    noNul(`environment variable name "${k.replaceAll('\0', '\\0')}"`, k);
    noNul(`environment variable ${k}`, String(v));
  }
  noNul('cwd', options.cwd);
  // A relative cwd would be resolved against the launcher's working directory, a host
  // directory that a pivot_root leaves reachable: the program would start outside its root.
  if (options.cwd !== undefined && !options.cwd.startsWith('/'))
    throw fail(`cwd "${options.cwd}" must be an absolute path inside the container`);
  noNul('path', options.path);
  noNul('hostname', options.hostname);
  noNul('domainname', options.domainname);
  const net = options.network === undefined ? undefined : planNetwork(options.network);
  const namespaces = [
    ...new Set([
      ...(options.namespaces ?? DEFAULT_NAMESPACES).map(parseNamespaceKind),
      ...(net?.namespaces ?? []),
    ]),
  ];
  if (net?.mode === 'host' && namespaces.includes('net'))
    throw fail('network "host" shares the host\'s network: namespaces must not have "net"');
  if (options.hostname !== undefined && !namespaces.includes('uts'))
    throw fail('hostname needs a uts namespace');
  const env = Object.entries(options.env ?? {}).map(([k, v]) => {
    if (k === '' || k.includes('=')) throw fail(`bad environment variable name "${k}"`);
    return `${k}=${v}`;
  });
  for (const id of [options.uid, options.gid, ...(options.groups ?? [])]) {
    if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < 2 ** 32 - 1))
      throw fail(`bad id ${id}`);
  }
  const extra = options.extraFds ?? [];
  const stdio = stdioOf(options.stdio);
  for (const fd of [...stdio.filter((s) => typeof s === 'number'), ...extra]) {
    if (!(Number.isInteger(fd) && (fd as number) >= 0)) throw fail(`bad descriptor ${fd}`);
  }
  for (const s of stdio) {
    if (typeof s !== 'number' && !['inherit', 'pipe', 'ignore'].includes(s))
      throw fail(`bad stdio "${s}"`);
  }
  if (
    options.pool !== undefined &&
    (typeof options.pool !== 'object' ||
      typeof options.pool?.acquire !== 'function' ||
      typeof options.pool?.release !== 'function')
  )
    throw fail('pool must be a LauncherPool (createLauncherPool makes one)');
  if (options.prepared !== undefined && !isPreparedSpawn(options.prepared))
    throw fail('prepared must come from prepareSpawn');
  const keepFds = 3 + extra.length;
  if (
    options.controllingTerminal !== undefined &&
    !(options.controllingTerminal >= 0 && options.controllingTerminal < keepFds)
  ) {
    throw fail(
      `controllingTerminal ${options.controllingTerminal} is not one of the program's descriptors`,
    );
  }
  const cfg: LaunchConfig = {
    namespaces,
    argv: options.argv,
    env,
    searchPath: options.path ?? options.env?.PATH ?? STANDARD_PATH,
    cwd: options.cwd ?? '/',
    // The network's hook first: the caller's hooks may pivot_root away from the host's /proc.
    setup: [...(net?.setup ?? []), ...(options.setup ?? [])],
    noNewPrivileges: options.noNewPrivileges ?? true,
    dieWithParent: options.dieWithParent ?? true,
    keepFds,
    fdChannel: keepFds + 1,
    newSession: options.newSession ?? true,
    newSessionKeyring: options.newSessionKeyring ?? true,
  };
  if (options.newSession === false && options.controllingTerminal !== undefined)
    throw fail('controllingTerminal needs newSession');
  // -- containment --
  const caps = capabilityConfig(options.capabilities, fail);
  if (caps) cfg.capabilities = caps;
  const seccomp = seccompPlan(options.seccomp, caps ? BigInt(caps.bounding) : undefined, fail);
  const compile = () => {
    const filters = seccomp.compile();
    if (filters.length > 0) cfg.seccomp = filters;
  };
  // -- end of containment --
  if (options.hostname !== undefined) cfg.hostname = options.hostname;
  if (options.domainname !== undefined) cfg.domainname = options.domainname;
  if (options.uid !== undefined) cfg.uid = options.uid;
  if (options.gid !== undefined) cfg.gid = options.gid;
  if (options.groups !== undefined) cfg.groups = options.groups;
  if (options.controllingTerminal !== undefined)
    cfg.controllingTerminal = options.controllingTerminal;
  cfg.lockMounts = options.lockMounts ?? true;
  return { cfg, compile };
}

function stdioOf(spec: SpawnOptions['stdio']): [StdioSpec, StdioSpec, StdioSpec] {
  if (Array.isArray(spec)) return spec;
  return [spec ?? 'inherit', spec ?? 'inherit', spec ?? 'inherit'];
}

/**
 * Starts a program in new namespaces. Resolves once the program has been executed (its exec
 * confirmed); rejects with a SpawnError naming the failed step, after making sure nothing it
 * started is left running.
 */
export function spawn(options: SpawnOptions): Promise<NamespacedProcess> {
  try {
    const { cfg, compile } = checkedConfig(options);
    const net = options.network === undefined ? undefined : planNetwork(options.network);
    if (canSpawnHere(options, cfg)) {
      return spawnHere(cfg, options, checkedStdio(options), compile, net);
    }
    // Only an in-process spawn can use a holder of this process's.
    void options.prepared?.discard();
    return start(cfg, options, compile, net);
  } catch (e) {
    // Bad options reject, as every other failure does, rather than throw from the call; what
    // was prepared for the spawn goes too.
    void options?.prepared?.discard?.();
    return Promise.reject(e);
  }
}

export type EnterOptions = Omit<
  SpawnOptions,
  'namespaces' | 'idmap' | 'hostname' | 'domainname' | 'network'
> & {
  /** The namespaces to join (default: every kind in which the target differs from this process). */
  namespaces?: Array<NamespaceKind | 'mount'>;
};

/**
 * Runs a program inside the namespaces of a running process (host pid `pid`), as `nsenter` or
 * `podman exec` do: the launcher's child joins them with setns, the user namespace first.
 */
export function enter(pid: number, options: EnterOptions): Promise<NamespacedProcess> {
  if (!Number.isInteger(pid) || pid <= 0) {
    return Promise.reject(new SpawnError({ step: 'options', message: `bad pid ${pid}` }));
  }
  let kinds: NamespaceKind[];
  try {
    // Its user namespace must be readable: this also refuses a pid that does not exist.
    namespaceOf(pid, 'user');
    kinds = options.namespaces
      ? options.namespaces.map(parseNamespaceKind)
      : namespaceDifferences(pid, 'self');
  } catch (e) {
    const gone = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return Promise.reject(
      gone
        ? new SpawnError(
            {
              step: 'join',
              message: `no process ${pid}`,
              code: 'ESRCH',
              errno: E.ESRCH,
              path: `/proc/${pid}`,
            },
            { cause: e },
          )
        : spawnError('join', e),
    );
  }
  let checked: ReturnType<typeof checkedConfig>;
  try {
    checked = checkedConfig({ ...options, namespaces: [] });
  } catch (e) {
    return Promise.reject(e);
  }
  checked.cfg.join = { pid, namespaces: kinds };
  return start(checked.cfg, options, checked.compile);
}

/** The program's standard streams, each descriptor among them checked to be open. */
function checkedStdio(options: SpawnOptions | EnterOptions): [StdioSpec, StdioSpec, StdioSpec] {
  const stdio = stdioOf(options.stdio);
  for (const fd of [...stdio, ...(options.extraFds ?? [])]) {
    if (typeof fd !== 'number') continue;
    try {
      libc.fcntl(fd, F.F_GETFD);
    } catch (e) {
      throw new SpawnError(
        { step: 'options', message: `descriptor ${fd} is not open`, ...libc.errnoFields(e) },
        { cause: e },
      );
    }
  }
  return stdio;
}

async function start(
  cfg: LaunchConfig,
  options: SpawnOptions | EnterOptions,
  compile: () => void,
  net?: NetworkPlan,
): Promise<NamespacedProcess> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stdio = checkedStdio(options);
  const { plumbing, launcher, pooled } = await startLauncher(cfg, options, stdio);
  // A pooled launcher serves the next spawn once this one's program has been executed; one
  // that entered a process's namespaces made its memory non-dumpable and is not used again.
  const reusable = pooled !== undefined && cfg.join === undefined;
  plumbing.closeTheirs();
  const channel = plumbing.channel;
  const inbox = new Inbox(channel);
  const parent = new ParentEnd(inbox);
  let launcherGoneNow: () => void = () => {};
  const launcherGone = new Promise<void>((resolve) => {
    launcherGoneNow = resolve;
  });
  const onLauncherExit = (code: number | null, signal: string | null) => {
    if (!parent.launcherExitExpected) inbox.push({ t: 'launcher-exit', code, signal });
    launcherGoneNow();
  };
  const onLauncherError = (err: Error) => {
    inbox.push({
      t: 'error',
      error: {
        step: 'launcher',
        message: `cannot start the launcher: ${err.message}`,
        ...libc.errnoFields(err),
      },
    });
    launcherGoneNow();
  };
  launcher.once('exit', onLauncherExit);
  launcher.once('error', onLauncherError);
  const send = (m: ToChild) => channel.write(encode(m));
  const receivedFds: number[] = [];
  let pid = 0;
  let exit: Promise<libc.ExitStatus> | undefined;
  let network: NetworkHandle | undefined;
  let beside: Beside | undefined;
  // enter() into a pid namespace: the child that cloned the program's process, to be killed
  // (like the launcher) before the exec, and reaped.
  let intermediate = 0;
  let intermediateExit: Promise<libc.ExitStatus> | undefined;
  const killHelpers = async () => {
    parent.launcherExitExpected = true;
    launcher.kill('SIGKILL');
    if (intermediate) killQuietly(intermediate, 'SIGKILL');
    await Promise.all([launcherGone, intermediateExit]);
  };

  try {
    // The seccomp programs, compiled while the launcher starts (a pooled one is waiting).
    compile();
    send({ t: 'config', config: cfg });
    ({ pid, intermediate = 0 } = await parent.waitPid(timeoutMs));
    exit = libc.watchExit(pid);
    if (intermediate) intermediateExit = libc.watchExit(intermediate);
    // The network and the sidecar, beside the id maps and the child's setup; the program
    // still runs only once they are up: the child waits for 'exec', sent after them.
    beside = startBeside(pid, net, 'sidecar' in options ? options.sidecar : undefined, timeoutMs);
    const idmap = 'idmap' in options ? options.idmap : undefined;
    if (idmap) {
      try {
        await withDeadline(Promise.resolve(idmap(pid)), timeoutMs, 'writing the id maps');
      } catch (e) {
        throw spawnError('idmap', e);
      }
    }
    send({ t: 'mapped' });
    await parent.waitReady(options.setupTimeoutMs ?? 60_000);
    network = await beside.up();
    receivedFds.push(...plumbing.receiveFds());
    // A launcher started for this spawn (or one that entered a pid namespace through an
    // intermediate process) is not needed any more: killed before the exec, so that it never
    // outlives the spawn. A pooled one lives on: its clone returns once the child has exec'd.
    if (!reusable) await killHelpers();
    send({ t: 'exec' });
    // The channel's end: the child's copy was close-on-exec, and a pooled launcher closes its
    // own once its clone has returned, so the exec happened (a failed execve sends its error).
    await parent.waitExecConfirmed(timeoutMs);
    if (pooled && reusable) {
      launcher.off?.('exit', onLauncherExit);
      launcher.off?.('error', onLauncherError);
      options.pool?.release(pooled);
    }
  } catch (e) {
    // A pooled launcher whose child gave up by itself (it sent its error: its function then
    // returned, and the launcher's clone with it) is sound: once the launcher has closed its
    // copy of the channel, the child has exited and the launcher goes back to the pool.
    if (pooled && reusable && parent.errorReported && (await parent.waitClosed(timeoutMs))) {
      await exit;
      await beside?.stop();
      for (const fd of receivedFds.splice(0)) libc.close(fd);
      plumbing.destroy();
      launcher.off?.('exit', onLauncherExit);
      launcher.off?.('error', onLauncherError);
      options.pool?.release(pooled);
      throw e;
    }
    // The launcher first (killHelpers sends its SIGKILL before its first await): killed while
    // it waits in clone(CLONE_VFORK), it never resumes. Killed after the child, it could resume
    // into the child's unfinished callback and abort, printing a V8 assertion on
    // the program's stderr (seen when the idmap callback fails).
    const helpersGone = killHelpers();
    if (pid) killQuietly(pid, 'SIGKILL');
    await Promise.all([helpersGone, exit]);
    // The helper does not notice the namespace's end by itself (nor does one still starting).
    await beside?.stop();
    for (const fd of receivedFds.splice(0)) libc.close(fd);
    plumbing.destroy();
    throw e;
  }
  channel.destroy();
  plumbing.closeFdChannel();
  return handle(pid, plumbing, exit, receivedFds, network);
}

/**
 * The launcher of a spawn and the pipes and channels between it, us and the program: one of
 * the pool's when it has one (waiting for one to be given back while all are busy; it is sent
 * the program's descriptors and the spawn's channels; one that died before we noticed refuses
 * them with EPIPE and the next one is tried), else a new one.
 */
async function startLauncher(
  cfg: LaunchConfig,
  options: SpawnOptions | EnterOptions,
  stdio: [StdioSpec, StdioSpec, StdioSpec],
): Promise<{ plumbing: Plumbing; launcher: LauncherProcess; pooled?: PooledLauncher }> {
  const script = launcherPath();
  const extraFds = options.extraFds ?? [];
  const pool =
    options.pool !== undefined &&
    (options.nodePath === undefined || options.nodePath === options.pool.nodePath)
      ? options.pool
      : undefined;
  for (let tries = pool ? pool.size + 1 : 0; tries > 0; tries--) {
    const taken: PooledLauncher | undefined = await pool?.acquire();
    if (!taken) break;
    let plumbing: Plumbing | undefined;
    try {
      plumbing = new Plumbing(stdio, extraFds, taken);
      const count = plumbing.sendProgramFds();
      taken.channel.write(encode({ t: 'fds', count }));
      return { plumbing, launcher: taken.process, pooled: taken };
    } catch (e) {
      // Killed: the pool notices and starts a replacement.
      taken.process.on('error', () => {});
      taken.process.kill('SIGKILL');
      if (plumbing) plumbing.destroy();
      else {
        // No pipes could be made (EMFILE…): not the launcher's fault, nor would another help.
        throw spawnError('launcher', e);
      }
    }
  }
  const plumbing = new Plumbing(stdio, extraFds);
  const node = options.nodePath ?? process.execPath;
  const args = ['--single-threaded', '--expose-gc', script, String(cfg.keepFds)];
  try {
    // posix_spawn does not search PATH: a bare nodePath goes through child_process.
    const launcher: LauncherProcess = node.includes('/')
      ? spawnLauncher(node, [node, ...args], plumbing.launcherStdio)
      : process
          .getBuiltinModule('node:child_process')
          .spawn(node, args, { stdio: plumbing.launcherStdio, env: {} });
    return { plumbing, launcher };
  } catch (e) {
    // child_process throws some errors (EBADF, EINVAL…) rather than emitting them: the pipes
    // and sockets made for this spawn must not outlive it (nor keep the event loop alive).
    plumbing.destroy();
    throw spawnError('launcher', e, 'cannot start the launcher');
  }
}
