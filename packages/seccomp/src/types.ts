/** The actions of the containers/OCI profile format that this package can compile. */
export const ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_LOG',
  'SCMP_ACT_ALLOW',
] as const;
export type SeccompAction = (typeof ACTIONS)[number];

/** Argument comparisons (libseccomp's `SCMP_CMP_*`). */
export const OPERATORS = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const;
export type SeccompOperator = (typeof OPERATORS)[number];

/** The OCI `flags` this package passes to seccomp(2). */
export const FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
] as const;
export type SeccompFlag = (typeof FLAGS)[number];

/**
 * A condition on one argument. For SCMP_CMP_MASKED_EQ, `value` is the mask and `valueTwo` the
 * value the masked argument must equal, as in the OCI runtime spec.
 */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo: number;
  op: SeccompOperator;
}

/**
 * When a rule applies (`includes`) or does not (`excludes`): capabilities (`CAP_SYS_ADMIN`),
 * Go-style architectures (`amd64`, `arm64`, `x32`, …) and a minimum kernel version (`"4.8"`).
 */
export interface SeccompCondition {
  caps: string[];
  arches: string[];
  minKernel?: string;
}

export interface SeccompSyscall {
  names: string[];
  action: SeccompAction;
  /** The errno of SCMP_ACT_ERRNO (or the message of SCMP_ACT_TRACE); EPERM when absent. */
  errnoRet?: number;
  args: SeccompArg[];
  includes: SeccompCondition;
  excludes: SeccompCondition;
  comment?: string;
}

/** containers-common's `archMap` entry: a native architecture and those it can also run. */
export interface SeccompArchMap {
  architecture: string;
  subArchitectures: string[];
}

/**
 * A validated profile. Optional fields of the file are filled in (empty lists), the old
 * single `name` is merged into `names`, and containers-common's errno names (`errno`,
 * `defaultErrno`) are turned into numbers (`errnoRet`, `defaultErrnoRet`).
 */
export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** `SCMP_ARCH_*` names; when empty, `archMap`'s entry for the native architecture applies. */
  architectures: string[];
  archMap: SeccompArchMap[];
  flags: SeccompFlag[];
  syscalls: SeccompSyscall[];
}
