import { join } from 'node:path';
import { CapabilityError, planCapabilities } from '@rootless-ts/capabilities';
import type { IdMap } from '@rootless-ts/idmap';
import { toHostId } from '@rootless-ts/idmap';
import {
  type HostProbe,
  MountError,
  type MountOp,
  planHostFiles,
  planRootfs,
} from '@rootless-ts/mounts';
import type { SetupHookSpec, SpawnOptions } from '@rootless-ts/namespaces';
import type { SeccompProfile } from '@rootless-ts/seccomp';
import { buildEnv } from './env.js';
import { RootlessError } from './errors.js';
import type { HookConfig } from './hook-config.js';
import type { RunRequest } from './options.js';
import { type ResolvedUser, resolveUser, type UserDb } from './users.js';

/** What the planner needs to know about the host, gathered before planning (so it stays pure). */
export interface HostFacts {
  /** The id maps that will be applied, and how. */
  idmap: { mode: 'subordinate' | 'single'; uidMap: IdMap; gidMap: IdMap };
  /** The container's /etc/passwd and /etc/group. */
  userDb: UserDb;
  /** The host's hostname (the UTS namespace starts with a copy of it). */
  hostname: string;
  /** The host's TERM. */
  term?: string;
  /** Whether a container path is a directory (in the root filesystem, or the host's files). */
  isDir(path: string): boolean;
  /** Absolute path of the built setup hook module. */
  hookModule: string;
  /** Host terminal size, for -t. */
  winsize?: { rows: number; cols: number };
  /** Tells what host paths are (planRootfs's probe), injectable in tests. */
  probe?: HostProbe;
  /**
   * The network chosen (network.ts): a private one adds the `net` namespace and, with --root, the
   * generated /etc/resolv.conf and /etc/hosts. Left out: the host's network. Its helper and its
   * setup hook (`lo` up, ping) are spawn's `network` option (run.ts), which puts the hook first:
   * it writes a /proc/sys file, which the mount plan makes read-only.
   */
  network?: {
    private: boolean;
    resolvConf?: string;
    hosts?: string;
  };
  /** The kernel's last capability (/proc/sys/kernel/cap_last_cap). */
  lastCap: number;
  /** The seccomp profile, loaded and validated (podman's, or --security-opt seccomp=FILE); none: unconfined. */
  seccompProfile?: SeccompProfile;
  /** Where compiled seccomp programs are kept between runs (seccompCacheDir). */
  seccompCacheDir?: string;
}

/** Everything `rootless run` will do, as data: spawn options (without the id mapper) and the hook's work. */
export interface RunPlan {
  spawn: Omit<SpawnOptions, 'idmap' | 'stdio'>;
  hook: HookConfig;
  user: ResolvedUser;
}

/** The container ids the invoking user becomes: root under the single mapping, else --map-uid/--map-gid. */
export function mappedIds(
  req: Pick<RunRequest, 'mapUid' | 'mapGid'>,
  mode: 'subordinate' | 'single',
): { uid: number; gid: number } {
  return mode === 'single' ? { uid: 0, gid: 0 } : { uid: req.mapUid, gid: req.mapGid };
}

function describeMap(map: IdMap): string {
  return map
    .map((l) =>
      l.count === 1 ? `${l.containerId}` : `${l.containerId}-${l.containerId + l.count - 1}`,
    )
    .join(', ');
}

/** Turns a request and the host's facts into the plan (pure: no system call, no file read). */
export function planRun(req: RunRequest, facts: HostFacts): RunPlan {
  const user = resolveUser(req.user, facts.userDb, mappedIds(req, facts.idmap.mode));
  const { uidMap, gidMap } = facts.idmap;
  if (toHostId(uidMap, user.uid) === undefined) {
    throw new RootlessError(
      '--user',
      `uid ${user.uid} is not mapped in the container (mapped uids: ${describeMap(uidMap)})`,
    );
  }
  if (toHostId(gidMap, user.gid) === undefined) {
    throw new RootlessError(
      '--user',
      `gid ${user.gid} is not mapped in the container (mapped gids: ${describeMap(gidMap)})`,
    );
  }
  // Under the single mapping setgroups is denied: no supplementary group can be set. Otherwise
  // only mapped groups can be.
  user.groups =
    facts.idmap.mode === 'single'
      ? []
      : user.groups.filter((g) => toHostId(gidMap, g) !== undefined);

  const hostname = req.hostname ?? facts.hostname;
  const env = buildEnv({
    home: user.home,
    hostname,
    extra: req.env,
    ...(facts.term !== undefined ? { term: facts.term } : {}),
  });
  const cwd = req.workdir ?? (facts.isDir(user.home) ? user.home : '/');

  const hook: HookConfig = {};
  const overlay = req.image?.overlay;
  if (req.root !== undefined && overlay?.upperOwnerLike !== undefined) {
    hook.ownLike = [{ path: overlay.upperdir, like: overlay.upperOwnerLike }];
  }
  if (req.root !== undefined) {
    try {
      hook.mounts = planRootfs(
        {
          root: req.image?.overlay ? { overlay: req.image.overlay } : req.root,
          ipcns: true,
          volumes: req.volumes,
          ...(req.hostname !== undefined ? { hostname: req.hostname } : {}),
          ...(req.workdir !== undefined ? { workdir: req.workdir } : {}),
          ...(facts.network?.private
            ? {
                netns: true,
                ...(facts.network.resolvConf !== undefined
                  ? { resolvConf: { content: facts.network.resolvConf } }
                  : {}),
                ...(facts.network.hosts !== undefined
                  ? { hosts: { content: facts.network.hosts } }
                  : {}),
              }
            : {}),
        },
        facts.probe,
      );
    } catch (e) {
      throw planFailure(e, req);
    }
  } else {
    // The host's files, with a masked proc of the container's own (so `ps` shows only the
    // container), a devpts of its own with -t, and what the request binds onto host paths.
    try {
      hook.mounts = planHostFiles(
        {
          devpts: req.tty,
          procMounts: req.procMounts ?? [],
          volumes: req.volumes,
        },
        facts.probe,
      );
    } catch (e) {
      throw planFailure(e, req);
    }
  }
  if (req.tty) {
    hook.tty = { uid: user.uid, gid: user.gid };
    if (facts.winsize) {
      hook.tty.rows = facts.winsize.rows;
      hook.tty.cols = facts.winsize.cols;
    }
  }
  const setup: SetupHookSpec[] = [{ module: facts.hookModule, config: hook }];
  const spawn: RunPlan['spawn'] = {
    argv: req.command,
    env,
    cwd,
    namespaces: [
      'user',
      'mnt',
      'pid',
      'uts',
      'ipc',
      ...(facts.network?.private ? (['net'] as const) : []),
    ],
    uid: user.uid,
    gid: user.gid,
    groups: user.groups,
    setup,
  };
  if (req.hostname !== undefined) spawn.hostname = req.hostname;
  // A session of its own always (the spawn default, said here because the terminal depends on
  // it): without -t the host's terminal is then not the container's controlling terminal, and
  // the kernel refuses it TIOCSTI; with -t its own pty becomes that.
  spawn.newSession = true;
  if (req.tty) spawn.controllingTerminal = 0;
  try {
    spawn.capabilities = planCapabilities({
      uid: user.uid,
      add: req.capAdd,
      drop: req.capDrop,
      lastCap: facts.lastCap,
    });
  } catch (e) {
    if (!(e instanceof CapabilityError)) throw e;
    const option =
      /--cap-drop/.test(e.message) && !/--cap-add/.test(e.message) ? '--cap-drop' : '--cap-add';
    throw new RootlessError(option, e.message.replace(/^--cap-(add|drop): /, ''));
  }
  spawn.seccomp = facts.seccompProfile
    ? {
        profile: facts.seccompProfile,
        ...(facts.seccompCacheDir !== undefined ? { cacheDir: facts.seccompCacheDir } : {}),
      }
    : 'unconfined';
  return { spawn, hook, user };
}

/** A plan error names the option it comes from. */
function planFailure(e: unknown, req: RunRequest): unknown {
  if (!(e instanceof MountError)) return e;
  const because = { cause: e };
  if (e.path !== undefined && e.path === req.root) return new RootlessError('--root', because);
  const volume = req.volumes.find((v) => v.source === e.path || v.target === e.path);
  if (volume) {
    const spec = `${volume.source}:${volume.target}:${volume.readonly ? 'ro' : 'rw'}`;
    return new RootlessError(`--volume ${spec}`, because);
  }
  return new RootlessError('mount plan', because);
}

export type { MountOp };

/**
 * Where `rootless run` keeps compiled seccomp programs: `$XDG_CACHE_HOME/rootless-ts/seccomp`,
 * else `~/.cache/rootless-ts/seccomp` (pure). Compiling podman's profile costs every run about
 * 15-20 ms of CPU; reading the program back, well under 1. The directory is as much the user's
 * as the image store (`~/.local/share/rootless-ts`): keep both out of containers' reach.
 */
export function seccompCacheDir(env: NodeJS.ProcessEnv, home: string): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg?.startsWith('/') ? xdg : home.startsWith('/') ? join(home, '.cache') : undefined;
  return base === undefined ? undefined : join(base, 'rootless-ts', 'seccomp');
}
