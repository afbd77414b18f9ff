import { kernelRelease } from '@rootless-ts/libc';
import { SeccompError } from './errors.js';
import { normalizeCap, parseKernelVersion } from './profile.js';
import type {
  SeccompAction,
  SeccompArg,
  SeccompCondition,
  SeccompFlag,
  SeccompProfile,
} from './types.js';

/**
 * What a profile means for one container: the rules whose includes/excludes match its
 * architecture, capabilities and kernel, as plain data. Pure: compileFilter turns a plan into
 * libseccomp calls.
 */

/** The architectures this package compiles filters for (`process.arch` values). */
export type FilterArch = 'x64' | 'arm64';

/** Per architecture: libseccomp's name of the native ABI, and the Go name profiles use. */
const NATIVE: Record<FilterArch, { scmp: string; go: string }> = {
  x64: { scmp: 'SCMP_ARCH_X86_64', go: 'amd64' },
  arm64: { scmp: 'SCMP_ARCH_AARCH64', go: 'arm64' },
};

export interface PlanOptions {
  /** The container's architecture (default: `process.arch`). */
  arch?: string;
  /**
   * The capabilities the container's processes may hold (its bounding set), by name (`CAP_X`,
   * `x`, any case). A rule's `includes.caps` all must be here; one of `excludes.caps` here
   * drops the rule. Required: which calls are allowed depends on it.
   */
  capabilities: readonly string[];
  /** The kernel release the filter runs on (default: the running kernel's, `uname -r`), for `minKernel`. */
  kernel?: string;
}

/** An action with its errno (SCMP_ACT_ERRNO) or tracer message (SCMP_ACT_TRACE). */
export interface PlannedAction {
  action: SeccompAction;
  errno?: number;
}

/**
 * One libseccomp rule per entry of `conditions` (all of an entry's conditions must hold); an
 * empty `conditions` list means one unconditional rule.
 */
export interface PlannedRule extends PlannedAction {
  names: string[];
  conditions: SeccompArg[][];
  /** Index of the profile's `syscalls` entry this comes from. */
  source: number;
}

export interface FilterPlan {
  arch: FilterArch;
  defaultAction: PlannedAction;
  /** `SCMP_ARCH_*` names the filter accepts; every other ABI gets the bad-architecture action. */
  architectures: string[];
  flags: SeccompFlag[];
  rules: PlannedRule[];
}

/** EPERM: what SCMP_ACT_ERRNO returns when the profile gives no errno (as runc and crun do). */
const DEFAULT_ERRNO = 1;

function planned(action: SeccompAction, errno: number | undefined): PlannedAction {
  if (action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE') {
    return { action, errno: errno ?? DEFAULT_ERRNO };
  }
  return { action };
}

/** The `FilterArch` for a `process.arch` value; throws ERR_SECCOMP_ARCH for others. */
export function filterArch(arch: string = process.arch): FilterArch {
  if (arch === 'x64' || arch === 'arm64') return arch;
  throw new SeccompError(
    `seccomp: no filters for architecture "${arch}" (supported: ${Object.keys(NATIVE).join(', ')})`,
    { code: 'ERR_SECCOMP_ARCH' },
  );
}

function kernelAtLeast(kernel: [number, number, number], min: string): boolean {
  const want = parseKernelVersion(min)!;
  for (let i = 0; i < 3; i++) if (kernel[i] !== want[i]) return kernel[i]! > want[i]!;
  return true;
}

/** Whether a rule's includes and excludes let it apply here (the rules docker and podman use). */
export function ruleApplies(
  includes: SeccompCondition,
  excludes: SeccompCondition,
  here: { goArch: string; capabilities: ReadonlySet<string>; kernel: [number, number, number] },
): boolean {
  if (includes.caps.some((c) => !here.capabilities.has(c))) return false;
  if (includes.arches.length > 0 && !includes.arches.includes(here.goArch)) return false;
  if (includes.minKernel !== undefined && !kernelAtLeast(here.kernel, includes.minKernel)) {
    return false;
  }
  if (excludes.caps.some((c) => here.capabilities.has(c))) return false;
  if (excludes.arches.includes(here.goArch)) return false;
  if (excludes.minKernel !== undefined && kernelAtLeast(here.kernel, excludes.minKernel)) {
    return false;
  }
  return true;
}

/**
 * Conditions become libseccomp rules as runc does: all of them in one rule (they must all
 * hold), except when two test the same argument, which one rule cannot express: then each
 * becomes a rule of its own (any of them suffices).
 */
function conditionGroups(args: SeccompArg[]): SeccompArg[][] {
  if (args.length === 0) return [];
  const indexes = new Set(args.map((a) => a.index));
  return indexes.size === args.length ? [args] : args.map((a) => [a]);
}

/** Resolves a validated profile for one container (pure). */
export function planFilter(profile: SeccompProfile, options: PlanOptions): FilterPlan {
  const arch = filterArch(options.arch);
  const native = NATIVE[arch];
  const kernelText = options.kernel ?? kernelRelease();
  const kernel = parseKernelVersion(kernelText);
  if (!kernel) {
    throw new SeccompError(`seccomp: cannot read the kernel version "${kernelText}"`, {
      code: 'ERR_SECCOMP_PROFILE',
    });
  }
  const here = {
    goArch: native.go,
    capabilities: new Set(options.capabilities.map(normalizeCap)),
    kernel,
  };
  let architectures: string[];
  if (profile.architectures.length > 0) architectures = [...profile.architectures];
  else {
    const entry = profile.archMap.find((m) => m.architecture === native.scmp);
    architectures = entry ? [entry.architecture, ...entry.subArchitectures] : [native.scmp];
  }
  const defaultAction = planned(profile.defaultAction, profile.defaultErrnoRet);
  const rules: PlannedRule[] = [];
  profile.syscalls.forEach((s, source) => {
    if (!ruleApplies(s.includes, s.excludes, here)) return;
    const act = planned(s.action, s.errnoRet);
    // A rule doing what the default does adds nothing (and libseccomp refuses it).
    if (act.action === defaultAction.action && act.errno === defaultAction.errno) return;
    rules.push({ ...act, names: [...s.names], conditions: conditionGroups(s.args), source });
  });
  return {
    arch,
    defaultAction,
    architectures: [...new Set(architectures)],
    flags: [...profile.flags],
    rules,
  };
}
