import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lastCap } from '@rootless-ts/capabilities';
import { IdMapError, SubidParseError } from '@rootless-ts/idmap';
import { homeDir, hostName, RootlessTsError } from '@rootless-ts/libc';
import { MountError } from '@rootless-ts/mounts';
import {
  EXIT_CANNOT_EXECUTE,
  EXIT_NOT_FOUND,
  type NamespacedProcess,
  type NetworkOptions,
  rootlessIdMap,
  SpawnError,
  type SpawnStep,
  spawn,
} from '@rootless-ts/namespaces';
import { NetworkError } from '@rootless-ts/network';
import {
  defaultProfile,
  loadProfile,
  SeccompError,
  type SeccompProfile,
  SeccompProfileError,
} from '@rootless-ts/seccomp';
import { takeEarlyHolder } from './early-holder.js';
import { discardEarlyLauncher, earlyLauncher } from './early-launcher.js';
import { errorLine, RootlessError, SETUP_FAILED } from './errors.js';
import { isDirInLayers, readUserDbInLayers } from './image-layers.js';
import { checkNeedsRoot, chooseMode, etcFiles } from './network.js';
import type { RunRequest } from './options.js';
import { planRun, type RunPlan, seccompCacheDir } from './planner.js';
import { forwardSignals } from './signals.js';
import { exitStatus } from './status.js';
import { hostWinsize, type Relay, relayTerminal } from './terminal.js';
import { isDirInRoot, readUserDb } from './users.js';

/** The built setup hook, beside this module in dist/. */
export function hookModulePath(): string {
  return fileURLToPath(new URL('./hook.js', import.meta.url));
}

/** Prints one line on stderr. */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * `rootless run`: plan (id maps, user, environment, mounts: all before any namespace exists),
 * then spawn, relay, wait. Resolves to the exit status: the command's own, 128+N for a signal,
 * 125 for our own failures (one line on stderr), 126/127 when the command cannot be executed.
 */
export async function runContainer(
  req: RunRequest,
  options: { requireSubordinate?: boolean } = {},
): Promise<number> {
  let plan: RunPlan;
  let idmap: ReturnType<typeof rootlessIdMap>;
  let network: NetworkOptions;
  try {
    checkNeedsRoot(req.network, req.root);
    const chosen = chooseMode(req.network ?? { ports: [], dns: [], addHosts: [] });
    if (chosen.warning) say(`rootless: warning: ${chosen.warning}`);
    // spawn's own network option: the helper starts beside the id maps and the setup, and in
    // this process (inProcess) the container's first process reads pasta's readiness itself.
    network = { mode: chosen.mode, ports: req.network?.ports ?? [] };
    const files =
      chosen.mode !== 'host' && req.root !== undefined
        ? etcFiles(
            chosen.mode,
            req.network ?? { ports: [], dns: [], addHosts: [] },
            req.hostname ?? hostName(),
          )
        : undefined;
    idmap = rootlessIdMap({ mapUid: req.mapUid, mapGid: req.mapGid });
    if (req.root !== undefined) checkRoot(req.root);
    const seccompProfile = loadSeccomp(req);
    plan = planRun(req, {
      lastCap: lastCap(),
      ...(seccompProfile ? { seccompProfile } : {}),
      ...cacheDirFact(),
      idmap: idmap.plan,
      userDb: req.image?.overlay ? readUserDbInLayers(req.image.layers) : readUserDb(req.root),
      hostname: hostName(),
      ...(process.env.TERM !== undefined ? { term: process.env.TERM } : {}),
      isDir: (p) =>
        req.image?.overlay
          ? isDirInLayers(req.image.layers, p)
          : req.root !== undefined
            ? isDirInRoot(req.root, p)
            : isHostDir(p),
      hookModule: hookModulePath(),
      ...(req.tty && hostWinsize() ? { winsize: hostWinsize()! } : {}),
      network: { private: chosen.mode !== 'host', ...files },
    });
  } catch (e) {
    say(errorLine(describe(e, req)));
    return e instanceof RootlessError ? e.status : SETUP_FAILED;
  }
  if (idmap.plan.mode === 'single' && options.requireSubordinate) {
    say(
      `rootless: subordinate ids: ${idmap.plan.reason.message} (installing a distribution needs many ids; as root, run the installer directly)`,
    );
    return SETUP_FAILED;
  }
  if (idmap.plan.mode === 'single') {
    say(
      `rootless: warning: ${idmap.plan.reason.message}: falling back to a single id mapping (you are root inside, no other id exists)`,
    );
  }

  const forwarder = forwardSignals({ tty: req.tty });
  let child: NamespacedProcess;
  try {
    const pool = earlyLauncher();
    const prepared = pool ? undefined : takeEarlyHolder();
    child = await spawn({
      ...plan.spawn,
      ...(pool ? { pool } : { inProcess: true }),
      ...(prepared ? { prepared } : {}),
      idmap: idmap.idmap,
      network,
      stdio: req.tty ? 'ignore' : 'inherit',
    });
  } catch (e) {
    // A launcher the spawn killed would be replaced: the pool goes first.
    await discardEarlyLauncher();
    forwarder.stop();
    const err = describe(e, req);
    say(errorLine(err));
    return err instanceof RootlessError ? err.status : SETUP_FAILED;
  }
  // Its launcher is idle again, and this process starts no other container.
  void discardEarlyLauncher();
  forwarder.attach(child.pid);
  let relay: Relay | undefined;
  if (req.tty) {
    const master = child.receivedFds[0];
    if (master === undefined) {
      child.kill('SIGKILL');
      await child.exited;
      forwarder.stop();
      say('rootless: -t: the container did not send its terminal');
      return SETUP_FAILED;
    }
    relay = relayTerminal(master);
  }
  // The program's status as soon as it is reaped: spawn has then sent the network's helper its
  // SIGKILL. The helper's exit (pasta frees its buffers: about 25 ms) ends after we return, as
  // podman leaves pasta to exit by itself; it is ours no longer, and nothing waits for it.
  const status = await child.exitStatus;
  if (relay) {
    await Promise.race([relay.drained, new Promise((r) => setTimeout(r, 500))]);
    relay.restore();
  }
  forwarder.stop();
  return forwarder.emulated !== undefined ? 128 + forwarder.emulated : exitStatus(status);
}

/** The profile --security-opt asks for (podman's by default), read and checked before anything starts. */
function loadSeccomp(req: RunRequest): SeccompProfile | undefined {
  if (req.seccomp === 'unconfined') return undefined;
  if (req.seccomp === 'default') return defaultProfile();
  try {
    return loadProfile(req.seccomp.file);
  } catch (e) {
    throw new RootlessError(`--security-opt seccomp=${req.seccomp.file}`, {
      cause: e instanceof SeccompError || e instanceof SeccompProfileError ? stripSeccomp(e) : e,
    });
  }
}

/** The profile's messages name the file ("seccomp profile FILE: …"); the line names it already. */
function stripSeccomp(e: Error): Error {
  return new Error(e.message.replace(/^seccomp profile [^:]*: /, ''));
}

function checkRoot(root: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RootlessError(
      '--root',
      code === 'ENOENT' ? `${root} does not exist` : `cannot use ${root}: ${code}`,
    );
  }
  if (!st.isDirectory()) throw new RootlessError('--root', `${root} is not a directory`);
}

/** A host directory the invoking user (the container's default user) can enter. */
function isHostDir(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** What failed, as the one line names it, for each step at which starting the container can fail. */
function whatFailed(step: SpawnStep, req: RunRequest): string {
  switch (step) {
    case 'idmap':
      return 'mapping ids (newuidmap/newgidmap)';
    case 'setup':
      return 'setting up the container';
    case 'chdir':
      return req.workdir !== undefined ? '--workdir' : 'working directory';
    case 'become-root':
    case 'switch-user':
    case 'lock-user':
      return 'switching to the user';
    case 'hostname':
      return '--hostname';
    case 'capabilities':
      return 'setting the capabilities (--cap-add, --cap-drop)';
    case 'seccomp':
    case 'seccomp-privileged':
      return 'installing the seccomp filter (--security-opt seccomp)';
    case 'session-keyring':
      return 'joining a new session keyring';

    default:
      return `starting the container (${step})`;
  }
}

/** The reason of a SpawnError: what went wrong at its step, then the chain of its causes. */
function spawnReason(e: SpawnError): { cause: unknown } {
  return {
    cause: new RootlessTsError(e.detail, e.cause !== undefined ? { cause: e.cause } : {}),
  };
}

/** Turns any failure into a RootlessError naming what failed and why. */
export function describe(e: unknown, req: RunRequest): RootlessError | Error {
  if (e instanceof RootlessError) return e;
  const cmd = req.command[0] ?? '';
  if (e instanceof SpawnError) {
    if (e.step === 'network' && e.cause instanceof NetworkError) {
      // The network helper's errors name the helper.
      return new RootlessError('network', { cause: e.cause });
    }
    if (e.step === 'resolve' || e.step === 'exec') {
      // The program, not rootless: the status shells give (127 not found, 126 not executable).
      if (e.code === 'ENOENT') return new RootlessError(cmd, 'command not found', EXIT_NOT_FOUND);
      if (e.code === 'EACCES')
        return new RootlessError(cmd, 'permission denied', EXIT_CANNOT_EXECUTE);
      return new RootlessError(cmd, spawnReason(e), EXIT_CANNOT_EXECUTE);
    }
    if (e.cause instanceof SeccompError || e.cause instanceof SeccompProfileError) {
      return new RootlessError('--security-opt seccomp', spawnReason(e));
    }
    return new RootlessError(whatFailed(e.step, req), spawnReason(e));
  }
  if (e instanceof SubidParseError || e instanceof IdMapError) {
    return new RootlessError('id mapping', { cause: e });
  }
  if (e instanceof MountError) return new RootlessError('mount plan', { cause: e });
  if (e instanceof NetworkError) return new RootlessError('network', { cause: e });
  return new RootlessError('run', { cause: e });
}

/** The planner's seccompCacheDir fact, from this process's environment and home. */
function cacheDirFact(): { seccompCacheDir?: string } {
  const dir = seccompCacheDir(process.env, homeDir());
  return dir === undefined ? {} : { seccompCacheDir: dir };
}
