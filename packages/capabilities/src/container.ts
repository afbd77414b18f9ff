import { prctl as PR } from '@rootless-ts/constants';
import { prctl } from '@rootless-ts/libc';
import { CapabilityError } from './errors.js';
import { CAP_NAMES, capName, lastCap } from './names.js';
import { capsIn, maskUpTo } from './sets.js';
import { clearAmbient, dropBounding, raiseAmbient, setCaps } from './syscalls.js';

/**
 * The capabilities of a container's program, as podman and the OCI runtimes give them: which
 * set (bounding, effective, permitted, inheritable, ambient) holds what for root and for other
 * users inside, from podman's `--cap-add`/`--cap-drop` values. Planning is pure; applying is a
 * short synchronous sequence of system calls for the container's child.
 */

/**
 * podman's default capabilities (containers.conf `default_capabilities`, containers-common
 * 0.50 and later): what root inside a podman container holds.
 */
export const PODMAN_DEFAULT_CAPS: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
]);

/**
 * rootless-ts's default: podman's set plus CAP_SYS_ADMIN, without which root inside cannot
 * change the hostname (sethostname needs CAP_SYS_ADMIN over the uts namespace's owner, and no
 * narrower capability exists). It is meant for a program that runs in a user namespace nested
 * inside the container's (created after the container's mounts, together with a new mount and
 * uts namespace): there CAP_SYS_ADMIN reaches only objects that namespace owns (its hostname,
 * mounts of its own on top of the container's, which stay locked), not the container's mounts,
 * its pid namespace (no new proc) or its network. Without that nesting, use
 * PODMAN_DEFAULT_CAPS.
 */
export const DEFAULT_CAPS: readonly string[] = Object.freeze([
  ...PODMAN_DEFAULT_CAPS,
  'CAP_SYS_ADMIN',
]);

/** A capability list as podman takes it: names, or every capability (`ALL`). */
export interface CapabilityList {
  all: boolean;
  /** Capability numbers, in increasing order, without duplicates. */
  caps: number[];
}

/**
 * Parses `--cap-add`/`--cap-drop` values as podman does: names with or without `CAP_`, in any
 * case, comma-separated lists (several values may be given), and `ALL`. `option` names the
 * option in the one-line error (code ERR_BAD_CAPABILITY) for an unknown or empty name.
 */
export function parseCapabilityList(
  values: string | readonly string[],
  option = 'capability',
): CapabilityList {
  const out = new Set<number>();
  let all = false;
  for (const value of typeof values === 'string' ? [values] : values) {
    for (const raw of value.split(',')) {
      const name = raw.trim().toLowerCase();
      if (name === 'all' || name === 'cap_all') {
        all = true;
        continue;
      }
      const n = CAP_NAMES.indexOf(name.startsWith('cap_') ? name : `cap_${name}`);
      if (name === '' || n < 0) {
        throw new CapabilityError(
          `${option}: ${name === '' ? 'empty capability name' : `unknown capability ${JSON.stringify(raw.trim())}`}`,
          { code: 'ERR_BAD_CAPABILITY' },
        );
      }
      out.add(n);
    }
  }
  return { all, caps: [...out].sort((a, b) => a - b) };
}

/** podman's spelling of a capability: `CAP_SYS_ADMIN`. */
export function podmanName(cap: number): string {
  return capName(cap).toUpperCase();
}

export interface CapabilityRequest {
  /** The uid the program runs as inside (0: root). */
  uid: number;
  /** `--cap-add` values (see parseCapabilityList). */
  add?: string | readonly string[];
  /** `--cap-drop` values. */
  drop?: string | readonly string[];
  /** The starting set (default DEFAULT_CAPS), names as parseCapabilityList takes them. */
  base?: readonly string[];
  /** The highest capability of the kernel (default: lastCap(), the running kernel's). */
  lastCap?: number;
}

/** Every set of the program, as an OCI runtime's `process.capabilities` holds them. */
export interface ContainerCapabilities {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
  /** The kernel's last capability the plan was made for (bits above it are never set). */
  lastCap: number;
}

/**
 * Computes the program's sets from `--cap-add`/`--cap-drop`, as podman does:
 * - the capabilities are the base set plus what is added, minus what is dropped; `--cap-add
 *   ALL` starts from every capability, `--cap-drop ALL` from none (then only the added ones);
 *   the same capability both added and dropped, or ALL both ways, is refused;
 * - root inside holds them as bounding, effective and permitted; inheritable and ambient stay
 *   empty (as podman since CVE-2022-27649);
 * - another user has them only as the bounding set (a limit: its effective and permitted are
 *   empty, as after any execve by a non-root user), except the capabilities it was explicitly
 *   given with `--cap-add` (not ALL), which it gets as ambient capabilities, and so also as
 *   inheritable, permitted and effective.
 */
export function planCapabilities(request: CapabilityRequest): ContainerCapabilities {
  const last = request.lastCap ?? lastCap();
  const everything = maskUpTo(last);
  const add = parseCapabilityList(request.add ?? [], '--cap-add');
  const drop = parseCapabilityList(request.drop ?? [], '--cap-drop');
  const base = parseCapabilityList(request.base ?? DEFAULT_CAPS, 'base capabilities');
  if (add.all && drop.all) {
    throw new CapabilityError('--cap-add ALL and --cap-drop ALL cannot be combined', {
      code: 'ERR_BAD_CAPABILITY',
    });
  }
  const both = add.caps.filter((c) => drop.caps.includes(c));
  if (both.length > 0) {
    throw new CapabilityError(
      `capability ${podmanName(both[0]!)} cannot be both added (--cap-add) and dropped (--cap-drop)`,
      { code: 'ERR_BAD_CAPABILITY' },
    );
  }
  const mask = (caps: number[]) => caps.reduce((m, c) => m | (1n << BigInt(c)), 0n) & everything;
  let set = add.all ? everything : drop.all ? 0n : mask(base.caps);
  set |= mask(add.caps);
  set &= ~mask(drop.caps);
  if (request.uid === 0) {
    return {
      bounding: set,
      effective: set,
      permitted: set,
      inheritable: 0n,
      ambient: 0n,
      lastCap: last,
    };
  }
  const ambient = mask(add.caps) & set;
  return {
    bounding: set,
    effective: ambient,
    permitted: ambient,
    inheritable: ambient,
    ambient,
    lastCap: last,
  };
}

/**
 * Removes from the bounding set every capability (up to `lastCap`) not in `bounding`. Needs
 * CAP_SETPCAP in the effective set: call it while still root inside, before the final ids.
 */
export function limitBounding(bounding: bigint, last = lastCap()): void {
  for (let n = 0; n <= last; n++) {
    if (((bounding >> BigInt(n)) & 1n) === 0n) dropBounding(n);
  }
}

/**
 * Applies a plan in the calling thread, synchronously (the container's child calls it after
 * its setup, as root inside with every capability of its user namespace):
 * 1. drops from the bounding set what the plan leaves out (this needs CAP_SETPCAP, so first);
 * 2. with `changeIds`, sets keep-caps, calls it (it should setgroups/setresgid/setresuid to
 *    the program's ids), and clears keep-caps: permitted capabilities survive the change from
 *    root, which ambient capabilities need;
 * 3. sets effective, permitted and inheritable (capset);
 * 4. empties the ambient set and raises the plan's ambient capabilities.
 * A failed call throws CapabilityError naming it (with the errno's code).
 */
export function applyCapabilities(
  plan: ContainerCapabilities,
  options: { changeIds?: () => void } = {},
): void {
  limitBounding(plan.bounding, plan.lastCap);
  if (options.changeIds) {
    keepCaps(true);
    try {
      options.changeIds();
    } finally {
      keepCaps(false);
    }
  }
  setCaps({ effective: plan.effective, permitted: plan.permitted, inheritable: plan.inheritable });
  clearAmbient();
  for (const cap of capsIn(plan.ambient)) raiseAmbient(cap);
}

function keepCaps(keep: boolean): void {
  try {
    prctl(PR.PR_SET_KEEPCAPS, keep ? 1 : 0);
  } catch (e) {
    throw new CapabilityError(
      `cannot ${keep ? 'set' : 'clear'} keep-caps: ${(e as Error).message}`,
      {
        cause: e,
        code: (e as { code?: string }).code,
      },
    );
  }
}
