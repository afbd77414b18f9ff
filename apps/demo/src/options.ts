import { isAbsolute, resolve } from 'node:path';
import { CapabilityError, parseCapabilityList } from '@rootless-ts/capabilities';
import { MountError, parseVolume, type Volume } from '@rootless-ts/mounts';
import { RootlessError } from './errors.js';
import { type NetworkRequest, parseNetworkRequest, type RawNetworkOptions } from './network.js';

/** What `rootless run` was asked to do: plain data, validated, nothing looked up yet. */
export interface RunRequest {
  /** The command and its arguments (argv of the container's first process). */
  command: string[];
  /** Absolute host path of the root filesystem; undefined: the host's files (steps 1-4). */
  root?: string;
  hostname?: string;
  /** `--user USER[:GROUP]`, by name or id, resolved later in the container's files. */
  user?: UserSpec;
  /** Container ids of the invoking user's uid and gid. */
  mapUid: number;
  mapGid: number;
  volumes: Volume[];
  /**
   * Without `root`: host paths (no symlinks) where a masked proc of the container's pid
   * namespace is mounted too, besides /proc (a chroot's /proc, for debootstrap). Not an option
   * of the command line; `volumes` then bind host paths onto host paths.
   */
  procMounts?: string[];
  /** `-e` values in order, `K=V` split; `-e K` alone takes K from the host's environment. */
  env: Array<[string, string]>;
  /** Container path of the working directory; default: the user's home, else `/`. */
  workdir?: string;
  /** Allocate a pseudo-terminal (`-t`). */
  tty: boolean;
  /** --network, -p, --dns, --add-host (network.ts); left out: the default private network. */
  network?: NetworkRequest;
  /** `--cap-add`/`--cap-drop` values as given (checked: known names or ALL). */
  capAdd: string[];
  capDrop: string[];
  /** `--security-opt seccomp=…`: podman's default profile, none, or a profile file (absolute). */
  seccomp: SeccompChoice;
  /** Set for `rootless run IMAGE` (image.ts): the container's root comes from the image. */
  image?: ImageRoot;
}

/**
 * The root of a container made from an image. `root` (RunRequest) is then the store's copy of
 * the layers, or with `overlay` the directory the merged view stands for: the overlay exists
 * only in the container's mount namespace, so users and directories are read from `layers`.
 */
export interface ImageRoot {
  /** The read-only layer directories, lowest first. */
  layers: string[];
  /** Mount an overlay as the root: lowerdirs topmost first, the container's own upper and work. */
  overlay?: {
    lowerdirs: string[];
    upperdir: string;
    workdir: string;
    /**
     * The store left upperdir owned by the invoking user: the container's setup gives it the
     * owner and mode of this directory (the top layer's root) before mounting.
     */
    upperOwnerLike?: string;
  };
}

export type SeccompChoice = 'default' | 'unconfined' | { file: string };

/*
 * Options podman users type that mean nothing more here: `-i, --interactive` (standard input is
 * always attached) and `--rm` (nothing of a container is kept once it exits). They are accepted
 * and ignored, so `rootless run -it --rm …` works as typed.
 */

export interface UserSpec {
  user: string;
  group?: string;
}

/** Options as commander hands them over (strings, repeatable ones as arrays). */
export interface RawRunOptions extends RawNetworkOptions {
  root?: string;
  hostname?: string;
  user?: string;
  mapUid?: string;
  mapGid?: string;
  volume?: string[];
  env?: string[];
  workdir?: string;
  tty?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  securityOpt?: string[];
  /** Accepted as podman users type them; no effect (see above). */
  interactive?: boolean;
  rm?: boolean;
}

/**
 * Relative paths, as podman takes them: `--root` is any host path, relative ones from `cwd`
 * (`-r alpine` is ./alpine, as podman's `--rootfs alpine`); a volume's HOST must be absolute or
 * start with '.' (`./shared`, `../x`), since podman reads a bare name (`-v shared:/data`) as a
 * named volume, which rootless does not have; container paths (`--workdir`, a volume's
 * CONTAINER) are absolute.
 */
export interface ParseContext {
  /** Relative paths (--root, volume sources) are resolved against it. */
  cwd: string;
  /** The host's environment, for `-e NAME` without a value. */
  hostEnv: Record<string, string | undefined>;
}

export const DEFAULT_MAP_ID = 1100;
/** The largest id a uid_map line may name (2^32 - 2: (uid_t)-1 is reserved). */
const MAX_ID = 2 ** 32 - 2;

function bad(option: string, why: string): RootlessError {
  return new RootlessError(option, why);
}

/** A container id: a decimal integer in [0, 2^32-2]. */
export function parseId(option: string, value: string): number {
  if (!/^\d+$/.test(value)) throw bad(option, `"${value}" is not a number`);
  const n = Number(value);
  if (n > MAX_ID) throw bad(option, `${value} is larger than ${MAX_ID}`);
  return n;
}

/** RFC 1123 host name: labels of letters, digits and hyphens, 64 characters at most (uts). */
export function validHostname(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 64 &&
    name
      .split('.')
      .every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(l) && l.length <= 63)
  );
}

export function parseUserSpec(value: string): UserSpec {
  const parts = value.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw bad('--user', `"${value}" is not USER or USER:GROUP (a name or a number each)`);
  }
  return parts.length === 2 ? { user: parts[0]!, group: parts[1]! } : { user: parts[0]! };
}

export function parseEnv(
  values: string[],
  hostEnv: ParseContext['hostEnv'],
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const v of values) {
    const eq = v.indexOf('=');
    const name = eq < 0 ? v : v.slice(0, eq);
    if (name === '' || /\s|\0/.test(name)) {
      throw bad('--env', `"${v}" is not NAME=VALUE (or NAME, taken from the host)`);
    }
    if (eq >= 0) out.push([name, v.slice(eq + 1)]);
    else if (hostEnv[name] !== undefined) out.push([name, hostEnv[name]!]);
    // `-e NAME` with NAME unset on the host: nothing, as docker and podman do.
  }
  return out;
}

/** Turns commander's options and the command into a validated RunRequest (pure). */
export function parseRunRequest(
  raw: RawRunOptions,
  command: string[],
  ctx: ParseContext,
): RunRequest {
  if (command.length === 0 || command[0] === '') throw bad('run', 'no command given');
  const req: RunRequest = {
    command,
    mapUid: raw.mapUid === undefined ? DEFAULT_MAP_ID : parseId('--map-uid', raw.mapUid),
    mapGid: raw.mapGid === undefined ? DEFAULT_MAP_ID : parseId('--map-gid', raw.mapGid),
    volumes: [],
    env: parseEnv(raw.env ?? [], ctx.hostEnv),
    tty: raw.tty ?? false,
    capAdd: checkCapabilities('--cap-add', raw.capAdd ?? []),
    capDrop: checkCapabilities('--cap-drop', raw.capDrop ?? []),
    seccomp: parseSecurityOpts(raw.securityOpt ?? [], ctx.cwd),
  };
  const network = parseNetworkRequest(raw);
  if (network) req.network = network;
  if (raw.root !== undefined) {
    if (raw.root === '') throw bad('--root', 'the directory name is empty');
    req.root = resolve(ctx.cwd, raw.root);
  }
  if (raw.hostname !== undefined) {
    if (!validHostname(raw.hostname)) {
      throw bad('--hostname', `"${raw.hostname}" is not a valid host name`);
    }
    req.hostname = raw.hostname;
  }
  if (raw.user !== undefined) req.user = parseUserSpec(raw.user);
  for (const spec of raw.volume ?? []) {
    if (req.root === undefined) {
      throw bad(
        `--volume ${spec}`,
        "needs --root (without it the container sees the host's files)",
      );
    }
    const host = spec.split(':')[0] ?? '';
    if (spec.includes(':') && host !== '' && !isAbsolute(host) && !host.startsWith('.')) {
      throw bad(
        `--volume ${spec}`,
        `"${host}" would be a named volume (as in podman), which rootless does not have: for the directory, write ./${host}`,
      );
    }
    try {
      req.volumes.push(parseVolume(spec, { cwd: ctx.cwd }));
    } catch (e) {
      if (e instanceof MountError) throw bad(`--volume ${spec}`, stripPrefix(e.message));
      throw e;
    }
  }
  if (raw.workdir !== undefined) {
    if (!isAbsolute(raw.workdir)) {
      throw bad('--workdir', `"${raw.workdir}" must be an absolute path inside the container`);
    }
    req.workdir = raw.workdir;
  }
  return req;
}

/** parseVolume's messages repeat the spec ("invalid volume \"x\": …"); the line names it already. */
function stripPrefix(message: string): string {
  return message.replace(/^invalid volume ".*?": /, '');
}

/** `--cap-add`/`--cap-drop` values: podman's names, with or without CAP_, any case, commas, ALL. */
export function checkCapabilities(option: string, values: string[]): string[] {
  try {
    parseCapabilityList(values, option);
  } catch (e) {
    if (e instanceof CapabilityError) {
      throw bad(option, e.message.replace(new RegExp(`^${option}: `), ''));
    }
    throw e;
  }
  return values;
}

const SECURITY_OPTS = 'seccomp=unconfined, seccomp=FILE.json, no-new-privileges';

/**
 * `--security-opt` values, as podman spells them: `seccomp=unconfined`, `seccomp=FILE` (a JSON
 * profile; relative to `cwd`), and `no-new-privileges` (always set here, so accepted as it is).
 * Anything else is refused rather than ignored: a security option that silently does nothing
 * would leave the container weaker than asked.
 */
export function parseSecurityOpts(values: string[], cwd: string): SeccompChoice {
  let seccomp: SeccompChoice = 'default';
  for (const v of values) {
    if (v === 'no-new-privileges' || v === 'no-new-privileges=true') continue;
    const m = /^seccomp[=:](.*)$/.exec(v);
    if (!m) throw bad('--security-opt', `"${v}" is not supported (${SECURITY_OPTS})`);
    const value = m[1]!;
    if (value === '') throw bad('--security-opt', 'seccomp= needs unconfined or a profile file');
    seccomp = value === 'unconfined' ? 'unconfined' : { file: resolve(cwd, value) };
  }
  return seccomp;
}
