import { accessSync, existsSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { NetworkError } from './errors.js';

/**
 * - `none`: a new network namespace with only `lo`, up;
 * - `pasta`: a new network namespace connected by pasta (Debian `passt`), started outside;
 * - `slirp4netns`: the same through slirp4netns;
 * - `host`: no new network namespace: the host's network, its loopback services included.
 */
export type NetworkMode = 'none' | 'host' | 'pasta' | 'slirp4netns';

export const NETWORK_MODES: readonly NetworkMode[] = ['none', 'host', 'pasta', 'slirp4netns'];

/** Parses a `--network` value (`private` is podman's alias of the default: give it `fallback`). */
export function parseNetworkMode(value: string): NetworkMode {
  if ((NETWORK_MODES as readonly string[]).includes(value)) return value as NetworkMode;
  const known = NETWORK_MODES.join(', ');
  if (/^(pasta|slirp4netns):/.test(value)) {
    throw new NetworkError(
      'ERR_BAD_NETWORK',
      `${value}: options for the network helper are not supported (known modes: ${known})`,
    );
  }
  throw new NetworkError('ERR_BAD_NETWORK', `${value}: unknown network mode (known: ${known})`);
}

/** Whether the mode creates a network namespace (every mode but `host`). */
export function isPrivate(mode: NetworkMode): boolean {
  return mode !== 'host';
}

/** The program a mode runs outside the container, if any. */
export function helperOf(mode: NetworkMode): 'pasta' | 'slirp4netns' | undefined {
  return mode === 'pasta' || mode === 'slirp4netns' ? mode : undefined;
}

/** The system directories, searched after PATH for the helpers (a user's PATH may lack them). */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Where the helpers are looked for: PATH, then the system directories. */
export function helperSearchPath(): string {
  return [process.env.PATH, SYSTEM_PATH].filter(Boolean).join(':');
}

/** The first executable `name` in `searchPath` (default: PATH, then the system directories). */
export function findProgram(name: string, searchPath = helperSearchPath()): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    // Most directories of PATH do not have it, and some we may not search: neither is an
    // exception (a thrown fs error costs far more than the lookup; with a long PATH this took
    // about 3 ms of each run's start). existsSync says false for both without one.
    if (!existsSync(candidate)) continue;
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(candidate);
    } catch {
      continue; // gone since
    }
    if (!st.isFile()) continue;
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not executable by us
    }
  }
  return undefined;
}

/** Both helpers need a tap device: /dev/net/tun readable and writable by this user. */
export function tunUsable(path = '/dev/net/tun'): boolean {
  try {
    accessSync(path, fsConstants.R_OK | fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export interface DefaultNetwork {
  mode: NetworkMode;
  /** Set when the default could not be a connected network: one line saying why. */
  warning?: string;
}

/**
 * The default network, as podman chooses it for rootless containers: pasta when it is
 * installed, else slirp4netns, else `none` with a warning. Never the host's network silently.
 */
export function defaultNetworkMode(
  probe: { find?: (name: string) => string | undefined; tun?: () => boolean } = {},
): DefaultNetwork {
  const find = probe.find ?? ((n: string) => findProgram(n));
  const tun = probe.tun ?? (() => tunUsable());
  // pasta first: slirp4netns is looked for only without it.
  const first = (['pasta', 'slirp4netns'] as const).find((h) => find(h) !== undefined);
  const candidates = first ? [first] : [];
  if (candidates.length > 0 && tun()) return { mode: candidates[0]! };
  const why =
    candidates.length > 0
      ? `/dev/net/tun is not usable by this user (${candidates[0]} needs it; chmod 0666 /dev/net/tun)`
      : 'neither pasta (Debian package passt) nor slirp4netns is installed';
  return { mode: 'none', warning: `${why}: the container gets no network (only lo)` };
}

/** Throws ERR_HELPER_MISSING unless the mode's helper and what it needs are here. */
export function checkHelper(mode: NetworkMode, searchPath?: string): string | undefined {
  const helper = helperOf(mode);
  if (!helper) return undefined;
  const path = findProgram(helper, searchPath);
  if (!path) {
    const pkg = helper === 'pasta' ? 'passt' : 'slirp4netns';
    throw new NetworkError(
      'ERR_HELPER_MISSING',
      `${helper} is not installed (Debian package ${pkg})`,
      {
        helper,
      },
    );
  }
  if (!tunUsable()) {
    throw new NetworkError(
      'ERR_HELPER_MISSING',
      `${helper}: /dev/net/tun is not readable and writable by this user (chmod 0666 /dev/net/tun)`,
      { helper, path: '/dev/net/tun' },
    );
  }
  return path;
}
