import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { IdMapError, SubidParseError } from '@rootless-ts/idmap';
import { MountError } from '@rootless-ts/mounts';
import { type NamespacedProcess, rootlessIdMap, SpawnError, spawn } from '@rootless-ts/namespaces';
import { NetworkError } from '@rootless-ts/network';
import { errorLine, RootlessError } from './errors.js';
import {
  ContainerNetwork,
  checkNeedsRoot,
  chooseMode,
  etcFiles,
  networkSpawnParts,
} from './network.js';
import type { RunRequest } from './options.js';
import { planRun, type RunPlan } from './planner.js';
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
  let network: ContainerNetwork;
  try {
    checkNeedsRoot(req.network, req.root);
    const chosen = chooseMode(req.network ?? { ports: [], dns: [], addHosts: [] });
    if (chosen.warning) say(`rootless: warning: ${chosen.warning}`);
    network = new ContainerNetwork(chosen.mode, req.network?.ports ?? []);
    const net = networkSpawnParts(chosen.mode);
    const files =
      chosen.mode !== 'host' && req.root !== undefined
        ? etcFiles(
            chosen.mode,
            req.network ?? { ports: [], dns: [], addHosts: [] },
            req.hostname ?? osHostname(),
          )
        : undefined;
    idmap = rootlessIdMap({ mapUid: req.mapUid, mapGid: req.mapGid });
    if (req.root !== undefined) checkRoot(req.root);
    plan = planRun(req, {
      idmap: idmap.plan,
      userDb: readUserDb(req.root),
      hostname: osHostname(),
      ...(process.env.TERM !== undefined ? { term: process.env.TERM } : {}),
      isDir: (p) => (req.root !== undefined ? isDirInRoot(req.root, p) : isHostDir(p)),
      hookModule: hookModulePath(),
      ...(req.tty && hostWinsize() ? { winsize: hostWinsize()! } : {}),
      network: { private: chosen.mode !== 'host', setup: net.setup, ...files },
    });
  } catch (e) {
    say(errorLine(describe(e, req)));
    return (e as RootlessError).status ?? 125;
  }
  if (idmap.plan.mode === 'single' && options.requireSubordinate) {
    say(
      `rootless: subordinate ids: ${idmap.plan.reason.message} (installing a distribution needs many ids; as root, run the installer directly)`,
    );
    return 125;
  }
  if (idmap.plan.mode === 'single') {
    say(
      `rootless: warning: ${idmap.plan.reason.message}: falling back to a single id mapping (you are root inside, no other id exists)`,
    );
  }

  const forwarder = forwardSignals({ tty: req.tty });
  let child: NamespacedProcess;
  try {
    child = await spawn({
      ...plan.spawn,
      idmap: network.wrap(idmap.idmap),
      stdio: req.tty ? 'ignore' : 'inherit',
    });
  } catch (e) {
    // The network may have started before a later step failed: nothing may be left.
    await network.close();
    forwarder.stop();
    const err = describe(e, req);
    say(errorLine(err));
    return err instanceof RootlessError ? err.status : 125;
  }
  forwarder.attach(child.pid);
  let relay: Relay | undefined;
  if (req.tty) {
    const master = child.receivedFds[0];
    if (master === undefined) {
      child.kill('SIGKILL');
      await child.exited;
      await network.close();
      forwarder.stop();
      say('rootless: -t: the container did not send its terminal');
      return 125;
    }
    relay = relayTerminal(master);
  }
  const status = await child.exited;
  // The helper does not notice the container's end by itself.
  await network.close();
  if (relay) {
    await Promise.race([relay.drained, new Promise((r) => setTimeout(r, 500))]);
    relay.restore();
  }
  forwarder.stop();
  return forwarder.emulated !== undefined ? 128 + forwarder.emulated : exitStatus(status);
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

/** Turns any failure into a RootlessError naming what failed and why. */
export function describe(e: unknown, req: RunRequest): RootlessError | Error {
  if (e instanceof RootlessError) return e;
  const cmd = req.command[0] ?? '';
  if (e instanceof SpawnError) {
    const why = e.message.replace(/^\w+: /, '');
    switch (e.step) {
      case 'exec':
        if (e.code === 'ENOENT') return new RootlessError(cmd, 'command not found', 127);
        if (e.code === 'EACCES') return new RootlessError(cmd, 'permission denied', 126);
        return new RootlessError(cmd, `cannot execute: ${why}`, 126);
      case 'idmap':
        // The network starts in the same callback, after the maps: its errors name the helper.
        if (e.cause instanceof NetworkError) return new RootlessError('network', e.cause.message);
        return new RootlessError('mapping ids (newuidmap/newgidmap)', why);
      case 'setup':
        return new RootlessError('setting up the container', why);
      case 'chdir':
        return new RootlessError(
          req.workdir !== undefined ? '--workdir' : 'working directory',
          why,
        );
      case 'credentials':
        return new RootlessError('switching to the user', why);
      case 'hostname':
        return new RootlessError('--hostname', why);
      default:
        return new RootlessError(`starting the container (${e.step})`, why);
    }
  }
  if (e instanceof SubidParseError || e instanceof IdMapError) {
    return new RootlessError('id mapping', e.message);
  }
  if (e instanceof MountError) return new RootlessError('mount plan', e.message);
  if (e instanceof NetworkError) return new RootlessError('network', e.message);
  return new RootlessError('run', e instanceof Error ? e.message : String(e));
}
