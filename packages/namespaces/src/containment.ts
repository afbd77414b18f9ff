/**
 * The parent's side of containment: the `capabilities` and `seccomp` options of spawn/enter,
 * checked and turned into plain launch data (capability masks, compiled BPF programs). The
 * child's side is containment-ops.ts; the rows that run it are in steps.ts.
 */
import { capFromName, capName, capsIn, lastCap, maskUpTo } from '@rootless-ts/capabilities';
import {
  checkProgram,
  compileFilter,
  compileFilterCached,
  type FilterPlan,
  filterFlags,
  loadProfile,
  type ProfileSource,
  planFilter,
  type SeccompProfile,
  terminalGuardProfile,
} from '@rootless-ts/seccomp';
import type { SpawnError } from './errors.js';

/** One capability set: a mask (bit n = capability n), or names (`CAP_SYS_ADMIN`, `sys_admin`) and numbers. */
export type CapabilitySet = bigint | readonly (string | number)[];

/**
 * The program's capability sets, as an OCI runtime's `process.capabilities` gives them: each is
 * what the child holds just before execve (a set left out is empty), and the kernel's execve
 * rules then apply (root inside gets its bounding set as permitted and effective; another user
 * keeps only its ambient set, as permitted and effective).
 */
export interface CapabilitySets {
  bounding?: CapabilitySet;
  effective?: CapabilitySet;
  permitted?: CapabilitySet;
  inheritable?: CapabilitySet;
  ambient?: CapabilitySet;
  /**
   * Accepted, so that the capabilities package's planCapabilities() result can be passed as it
   * is, and not used: the sets are checked against the running kernel.
   */
  lastCap?: number;
}

export const CAPABILITY_SET_NAMES = [
  'bounding',
  'effective',
  'permitted',
  'inheritable',
  'ambient',
] as const;

/**
 * The seccomp filter of the program:
 * - `{ profile }`: a profile in the containers/OCI JSON format (an object, its JSON text, or a
 *   file's path), validated and compiled here with libseccomp for the program's bounding set;
 * - `{ bpf, flags }`: a program compiled already (compileFilter), installed as it is;
 * - `'unconfined'`: no filter at all.
 * Without the option, and with the first two, a small filter denying the terminal ioctls
 * TIOCSTI and TIOCLINUX is installed too (the terminal guard; see the README).
 */
export type SeccompOption =
  | 'unconfined'
  | {
      profile: ProfileSource | SeccompProfile;
      /**
       * A directory of compiled programs (@rootless-ts/seccomp's compileFilterCached), yours
       * alone: a process that starts one container then skips libseccomp's 15-20 ms of CPU.
       */
      cacheDir?: string;
    }
  | { bpf: Uint8Array; flags?: number };

/** Capability sets as the launcher receives them: 0x-prefixed hex masks. */
export interface LaunchCapabilities {
  bounding: string;
  effective: string;
  permitted: string;
  inheritable: string;
  ambient: string;
  /** The kernel's last capability: bits above it are never set, and never dropped. */
  lastCap: number;
}

/** A compiled filter as the launcher receives it. */
export interface LaunchSeccompFilter {
  /** The BPF program, base64. */
  bpf: string;
  /** seccomp(2) flags (SECCOMP_FILTER_FLAG_*). */
  flags: number;
}

type Fail = (message: string, cause?: unknown) => SpawnError;

function maskOf(set: CapabilitySet, what: string, last: number, fail: Fail): bigint {
  if (typeof set === 'bigint') {
    if (set < 0n || set > maskUpTo(last)) {
      throw fail(`${what}: 0x${set.toString(16)} has bits beyond this kernel's capabilities`);
    }
    return set;
  }
  if (!Array.isArray(set)) throw fail(`${what} must be a bigint mask or an array of names`);
  let mask = 0n;
  for (const c of set) {
    let n: number;
    try {
      n = typeof c === 'number' ? c : capFromName(String(c));
    } catch (e) {
      throw fail(`${what}: unknown capability ${JSON.stringify(c)}`, e);
    }
    if (!Number.isInteger(n) || n < 0 || n > last) {
      throw fail(`${what}: capability ${JSON.stringify(c)} is not one of this kernel's`);
    }
    mask |= 1n << BigInt(n);
  }
  return mask;
}

const hex = (m: bigint) => `0x${m.toString(16)}`;

/**
 * Checks the capability sets against the kernel's rules for setting them (capset, the ambient
 * set), so that a request the child would be refused fails here, with one line, before
 * anything starts.
 */
export function capabilityConfig(
  sets: CapabilitySets | undefined,
  fail: Fail,
  last: number = lastCap(),
): LaunchCapabilities | undefined {
  if (sets === undefined) return undefined;
  if (sets === null || typeof sets !== 'object') throw fail('capabilities must be an object');
  for (const k of Object.keys(sets)) {
    if (k !== 'lastCap' && !(CAPABILITY_SET_NAMES as readonly string[]).includes(k)) {
      throw fail(`capabilities: unknown set "${k}" (${CAPABILITY_SET_NAMES.join(', ')})`);
    }
  }
  const m = Object.fromEntries(
    CAPABILITY_SET_NAMES.map((k) => [
      k,
      sets[k] === undefined ? 0n : maskOf(sets[k], `capabilities.${k}`, last, fail),
    ]),
  ) as Record<(typeof CAPABILITY_SET_NAMES)[number], bigint>;
  const outside = (a: bigint, b: bigint) => capsIn(a & ~b).map(capName);
  const rule = (extra: string[], what: string) => {
    if (extra.length > 0) throw fail(`capabilities: ${what}: ${extra.join(', ')}`);
  };
  rule(outside(m.effective, m.permitted), 'effective must be within permitted');
  rule(outside(m.inheritable, m.bounding), 'inheritable must be within bounding');
  rule(
    outside(m.ambient, m.permitted & m.inheritable),
    'ambient must be within permitted and inheritable',
  );
  return {
    bounding: hex(m.bounding),
    effective: hex(m.effective),
    permitted: hex(m.permitted),
    inheritable: hex(m.inheritable),
    ambient: hex(m.ambient),
    lastCap: last,
  };
}

let guard: Uint8Array | undefined;

/**
 * The terminal guard's program: the same for every spawn of this process, compiled once (or
 * read from the cache directory of the spawn's profile, which then spares loading libseccomp).
 */
function terminalGuard(cacheDir?: string): Uint8Array {
  if (guard) return guard;
  const plan = planFilter(terminalGuardProfile(), { capabilities: [] });
  guard = cacheDir === undefined ? compileFilter(plan) : compileFilterCached(plan, cacheDir);
  return guard;
}

const launchFilter = (bpf: Uint8Array, flags: number): LaunchSeccompFilter => ({
  bpf: Buffer.from(bpf.buffer, bpf.byteOffset, bpf.byteLength).toString('base64'),
  flags,
});

/**
 * The filters to install, in order: the terminal guard first (so that a profile denying
 * seccomp(2) itself cannot keep it out), then the profile's. A profile is checked and planned
 * here for the program's bounding set (its includes/excludes name capabilities; without
 * `capabilities`, every capability of the kernel), so that a bad one fails before anything
 * starts; `compile()` then runs libseccomp (tens of milliseconds the first time in a process:
 * spawn calls it while the launcher starts).
 */
export function seccompPlan(
  option: SeccompOption | undefined,
  bounding: bigint | undefined,
  fail: Fail,
): { compile(): LaunchSeccompFilter[] } {
  const none = { compile: () => [] };
  if (option === 'unconfined') return none;
  const cacheDir =
    option !== null && typeof option === 'object' && 'profile' in option
      ? option.cacheDir
      : undefined;
  if (cacheDir !== undefined && (typeof cacheDir !== 'string' || !cacheDir.startsWith('/')))
    throw fail(`seccomp.cacheDir must be an absolute path, not ${JSON.stringify(cacheDir)}`);
  const withGuard = (rest: () => LaunchSeccompFilter[]) => ({
    compile: () => {
      let g: Uint8Array;
      try {
        g = terminalGuard(cacheDir);
      } catch (e) {
        throw fail(`seccomp: the terminal guard: ${(e as Error).message}`, e);
      }
      return [launchFilter(g, 0), ...rest()];
    },
  });
  if (option === undefined) return withGuard(() => []);
  if (option === null || typeof option !== 'object') {
    throw fail(`seccomp must be 'unconfined', { profile } or { bpf, flags }`);
  }
  if ('bpf' in option) {
    if (!(option.bpf instanceof Uint8Array)) throw fail('seccomp.bpf must be a Uint8Array');
    const flags = option.flags ?? 0;
    if (!Number.isInteger(flags) || flags < 0) throw fail(`seccomp.flags: bad flags ${flags}`);
    try {
      checkProgram(option.bpf);
    } catch (e) {
      throw fail((e as Error).message, e);
    }
    const filter = launchFilter(option.bpf, flags);
    return withGuard(() => [filter]);
  }
  if (!('profile' in option)) {
    throw fail(`seccomp must be 'unconfined', { profile } or { bpf, flags }`);
  }
  let plan: FilterPlan;
  try {
    const profile = loadProfile(option.profile as ProfileSource);
    const caps = capsIn(bounding ?? maskUpTo(lastCap())).map(capName);
    plan = planFilter(profile, { capabilities: caps });
  } catch (e) {
    throw fail((e as Error).message, e);
  }
  return withGuard(() => {
    try {
      const bpf =
        cacheDir === undefined ? compileFilter(plan) : compileFilterCached(plan, cacheDir);
      return [launchFilter(bpf, filterFlags(plan.flags))];
    } catch (e) {
      throw fail((e as Error).message, e);
    }
  });
}

/** seccompPlan, compiled at once. */
export function seccompConfig(
  option: SeccompOption | undefined,
  bounding: bigint | undefined,
  fail: Fail,
): LaunchSeccompFilter[] {
  return seccompPlan(option, bounding, fail).compile();
}
