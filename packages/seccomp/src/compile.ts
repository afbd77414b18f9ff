import { closeSync, fstatSync, readSync } from 'node:fs';
import {
  errnoName,
  mman,
  libseccomp as SCMP,
  syscall as SYS,
  struct,
} from '@rootless-ts/constants';
import { rawSyscall } from '@rootless-ts/libc';
import koffi from 'koffi';
import { SeccompError } from './errors.js';
import { libseccomp } from './libseccomp.js';
import {
  type FilterPlan,
  filterArch,
  type PlannedAction,
  type PlanOptions,
  planFilter,
} from './plan.js';
import type { SeccompArg, SeccompProfile } from './types.js';

/**
 * Compiles a profile into the classic BPF program the kernel runs, through libseccomp: the
 * program is built here, in the parent or launcher, and only installed (one seccomp(2) call) in
 * the container's child. libseccomp 2.5 (Debian 12) has no seccomp_export_bpf_mem, so the
 * program is exported into a memfd and read back.
 */

const scmp = SCMP as unknown as Readonly<Record<string, number>>;

function actionValue(a: PlannedAction): number {
  switch (a.action) {
    case 'SCMP_ACT_ERRNO':
      return (SCMP.SCMP_ACT_ERRNO_BASE | (a.errno! & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SCMP.SCMP_ACT_TRACE_BASE | (a.errno! & 0xffff)) >>> 0;
    default:
      return scmp[a.action]! >>> 0;
  }
}

const OP: Record<SeccompArg['op'], number> = {
  SCMP_CMP_NE: SCMP.SCMP_CMP_NE,
  SCMP_CMP_LT: SCMP.SCMP_CMP_LT,
  SCMP_CMP_LE: SCMP.SCMP_CMP_LE,
  SCMP_CMP_EQ: SCMP.SCMP_CMP_EQ,
  SCMP_CMP_GE: SCMP.SCMP_CMP_GE,
  SCMP_CMP_GT: SCMP.SCMP_CMP_GT,
  SCMP_CMP_MASKED_EQ: SCMP.SCMP_CMP_MASKED_EQ,
};

/** An array of `struct scmp_arg_cmp`, laid out as the generated header says. */
function argArray(args: SeccompArg[]): Buffer {
  const l = struct.scmp_arg_cmp;
  const buf = Buffer.alloc(l.size * args.length);
  args.forEach((a, i) => {
    const base = i * l.size;
    buf.writeUInt32LE(a.index, base + l.fields.arg.offset);
    buf.writeUInt32LE(OP[a.op], base + l.fields.op.offset);
    buf.writeBigUInt64LE(BigInt(a.value), base + l.fields.datum_a.offset);
    buf.writeBigUInt64LE(BigInt(a.valueTwo), base + l.fields.datum_b.offset);
  });
  return buf;
}

function libError(rc: number, what: string, fn: string): SeccompError {
  const code = (errnoName as Readonly<Record<number, string>>)[-rc] ?? 'UNKNOWN';
  return new SeccompError(`seccomp: ${what}: ${code} from ${fn}`, {
    code,
    errno: -rc,
    syscall: fn,
  });
}

export interface CompileOptions extends PlanOptions {}

/** What compileFilter also tells: the plan it compiled, and names libseccomp does not know. */
export interface CompiledFilter {
  bpf: Uint8Array;
  plan: FilterPlan;
  /** System call names of the profile unknown to libseccomp (skipped, as runc and crun do). */
  unknownSyscalls: string[];
}

/**
 * Compiles a plan made by planFilter, or a validated profile for the container described by
 * `options` (its capabilities decide which rules apply), into a BPF program.
 */
export function compileFilter(plan: FilterPlan): Uint8Array;
export function compileFilter(profile: SeccompProfile, options: CompileOptions): Uint8Array;
export function compileFilter(
  profile: SeccompProfile | FilterPlan,
  options?: CompileOptions,
): Uint8Array {
  return compileFilterWithReport(profile as SeccompProfile, options as CompileOptions).bpf;
}

/** compileFilter, also returning the plan and the unknown system call names. */
export function compileFilterWithReport(plan: FilterPlan): CompiledFilter;
export function compileFilterWithReport(
  profile: SeccompProfile,
  options: CompileOptions,
): CompiledFilter;
export function compileFilterWithReport(
  profile: SeccompProfile | FilterPlan,
  options?: CompileOptions,
): CompiledFilter {
  if (!('rules' in profile) && options === undefined) {
    throw new TypeError('compileFilter: a profile needs options ({ capabilities })');
  }
  const plan = 'rules' in profile ? profile : planFilter(profile, options!);
  // libseccomp resolves names with the running machine's tables; a filter for another
  // architecture cannot be built here.
  const native = filterArch(process.arch);
  if (plan.arch !== native) {
    throw new SeccompError(
      `seccomp: cannot compile a filter for ${plan.arch} on ${native} (libseccomp resolves system calls natively)`,
      { code: 'ERR_SECCOMP_ARCH' },
    );
  }
  const lib = libseccomp();
  const ctx = lib.init(actionValue(plan.defaultAction));
  if (ctx === null) {
    throw new SeccompError('seccomp: seccomp_init refused the default action', {
      code: 'EINVAL',
      syscall: 'seccomp_init',
    });
  }
  try {
    const check = (rc: number, what: string, fn: string) => {
      if (rc < 0) throw libError(rc, what, fn);
    };
    // An ABI the filter does not list (i386's int 0x80 or x32 on x86_64, 32-bit ARM on arm64)
    // must not reach the kernel unfiltered: the whole process is killed, not just the thread.
    check(
      lib.attrSet(ctx, SCMP.SCMP_FLTATR_ACT_BADARCH, SCMP.SCMP_ACT_KILL_PROCESS >>> 0),
      'set the bad-architecture action',
      'seccomp_attr_set',
    );
    // The filter is exported, never loaded by libseccomp: no_new_privs is the caller's business.
    check(lib.attrSet(ctx, SCMP.SCMP_FLTATR_CTL_NNP, 0), 'clear CTL_NNP', 'seccomp_attr_set');
    const tokens = plan.architectures.map((a) => scmp[a]! >>> 0);
    for (const [i, token] of tokens.entries()) {
      if (lib.archExist(ctx, token) === 0) continue;
      check(
        lib.archAdd(ctx, token),
        `add architecture ${plan.architectures[i]}`,
        'seccomp_arch_add',
      );
    }
    const nativeToken = scmp[native === 'x64' ? 'SCMP_ARCH_X86_64' : 'SCMP_ARCH_AARCH64']! >>> 0;
    if (!tokens.includes(nativeToken)) {
      check(
        lib.archRemove(ctx, SCMP.SCMP_ARCH_NATIVE),
        'remove the native architecture',
        'seccomp_arch_remove',
      );
    }
    const unknown = new Set<string>();
    for (const rule of plan.rules) {
      const act = actionValue(rule);
      for (const name of rule.names) {
        const nr = lib.resolveName(name);
        if (nr === SCMP.__NR_SCMP_ERROR) {
          unknown.add(name);
          continue;
        }
        const groups = rule.conditions.length === 0 ? [[]] : rule.conditions;
        for (const args of groups) {
          const rc = lib.ruleAddArray(
            ctx,
            act,
            nr,
            args.length,
            args.length ? argArray(args) : null,
          );
          check(
            rc,
            `add the rule of syscalls[${rule.source}] for ${name}`,
            'seccomp_rule_add_array',
          );
        }
      }
    }
    return { bpf: exportBpf(ctx), plan, unknownSyscalls: [...unknown] };
  } finally {
    lib.release(ctx);
  }
}

function exportBpf(ctx: unknown): Uint8Array {
  const fd = rawSyscall(SYS.SYS_memfd_create, 'seccomp-bpf', mman.MFD_CLOEXEC);
  if (fd < 0) {
    const errno = koffi.errno();
    const code = (errnoName as Readonly<Record<number, string>>)[errno] ?? 'UNKNOWN';
    throw new SeccompError(`seccomp: cannot export the filter: ${code} from memfd_create`, {
      code,
      errno,
      syscall: 'memfd_create',
    });
  }
  try {
    const rc = libseccomp().exportBpf(ctx, fd);
    if (rc < 0) throw libError(rc, 'cannot export the filter', 'seccomp_export_bpf');
    const size = fstatSync(fd).size;
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, out, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** The version of the libseccomp in use, e.g. "2.5.4". */
export function libseccompVersion(): string {
  return libseccomp().version();
}
