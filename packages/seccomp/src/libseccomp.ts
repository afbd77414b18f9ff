import koffi, { type LibraryHandle } from 'koffi';
import { SeccompError } from './errors.js';

/**
 * koffi bindings for the few libseccomp functions a filter needs, loaded on first use. The
 * library is Debian's libseccomp2 (`libseccomp.so.2`, 2.5.4 on Debian 12), the one runc and
 * crun use. Its functions return a negative errno on failure.
 */

// biome-ignore lint/suspicious/noExplicitAny: koffi functions are untyped; the wrappers type them.
type Native = (...args: any[]) => any;

export interface LibSeccomp {
  init(defaultAction: number): unknown;
  release(ctx: unknown): void;
  archAdd(ctx: unknown, arch: number): number;
  archRemove(ctx: unknown, arch: number): number;
  archExist(ctx: unknown, arch: number): number;
  attrSet(ctx: unknown, attr: number, value: number): number;
  resolveName(name: string): number;
  ruleAddArray(
    ctx: unknown,
    action: number,
    nr: number,
    count: number,
    args: Buffer | null,
  ): number;
  exportBpf(ctx: unknown, fd: number): number;
  version(): string;
}

let lib: LibSeccomp | undefined;

export function libseccomp(): LibSeccomp {
  if (lib) return lib;
  let handle: LibraryHandle;
  try {
    handle = koffi.load('libseccomp.so.2');
  } catch (e) {
    throw new SeccompError(
      `seccomp: cannot load libseccomp.so.2 (Debian: apt-get install libseccomp2): ${(e as Error).message}`,
      { code: 'ERR_SECCOMP_LIBRARY', cause: e },
    );
  }
  const f = (proto: string) => handle.func(proto) as Native;
  const version = f('const void *seccomp_version(void)');
  const VersionStruct = koffi.struct({ major: 'uint', minor: 'uint', micro: 'uint' });
  lib = {
    init: f('void *seccomp_init(uint32_t def_action)'),
    release: f('void seccomp_release(void *ctx)'),
    archAdd: f('int seccomp_arch_add(void *ctx, uint32_t arch_token)'),
    archRemove: f('int seccomp_arch_remove(void *ctx, uint32_t arch_token)'),
    archExist: f('int seccomp_arch_exist(void *ctx, uint32_t arch_token)'),
    attrSet: f('int seccomp_attr_set(void *ctx, int attr, uint32_t value)'),
    resolveName: f('int seccomp_syscall_resolve_name(const char *name)'),
    ruleAddArray: f(
      'int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const void *arg_array)',
    ),
    exportBpf: f('int seccomp_export_bpf(void *ctx, int fd)'),
    version: () => {
      const v = koffi.decode(version(), VersionStruct) as {
        major: number;
        minor: number;
        micro: number;
      };
      return `${v.major}.${v.minor}.${v.micro}`;
    },
  };
  return lib;
}
