/**
 * Linux and glibc constants, struct sizes and field offsets, generated per architecture from the
 * C headers by packages/constants/generator (see README.md).
 */
import { linuxArm64 } from './generated/linux-arm64.js';
import { linuxX64 } from './generated/linux-x64.js';

/** The architectures (`process.arch` values) with a generated constants file. */
export type Arch = 'x64' | 'arm64';

type Generated = ReturnType<typeof linuxX64>;
type DeepReadonly<T> = { readonly [K in keyof T]: DeepReadonly<T[K]> };

/**
 * The constants of one architecture. Every group is keyed by the exact C name; the generated
 * x64 file defines the shape and every other file `satisfies` it.
 */
export type ArchConstants = {
  readonly [G in keyof Generated]: G extends 'errnoName'
    ? Readonly<Record<number, string>>
    : G extends 'errnoMessage'
      ? Readonly<Record<string, string>>
      : DeepReadonly<Generated[G]>;
};

// for-in, not for-of over Object.values: without an optimizing compiler (the rootless CLI runs
// with --no-opt) every step of for-of allocates an iterator result, 80 KiB of garbage here.
function deepFreeze<T extends object>(value: T): T {
  for (const key in value) {
    const child: unknown = value[key];
    if (typeof child === 'object' && child !== null) deepFreeze(child);
  }
  return Object.freeze(value);
}

// Built when first asked for: importing the package builds and freezes the running
// architecture's table only (the other's cost every start about 0.3 ms and 120 KiB of heap).
const makers: Readonly<Record<Arch, () => Generated>> = { x64: linuxX64, arm64: linuxArm64 };
const tables: Partial<Record<Arch, ArchConstants>> = {};

/** The constants of `arch` (a `process.arch` value); throws if none were generated for it. */
export function constantsFor(arch: string): ArchConstants {
  if (!Object.hasOwn(makers, arch)) {
    throw new Error(
      `@rootless-ts/constants: no constants for architecture "${arch}" ` +
        `(available: ${Object.keys(makers).join(', ')}); ` +
        'generate them with npm run codegen on that architecture',
    );
  }
  const a = arch as Arch;
  tables[a] ??= deepFreeze(makers[a]());
  return tables[a];
}

/** The constants of the running architecture (`process.arch`). */
export const constants: ArchConstants = constantsFor(process.arch);

// Each group on its own, typed by name so the declarations stay short.
export const clone: ArchConstants['clone'] = constants.clone;
export const mount: ArchConstants['mount'] = constants.mount;
export const capability: ArchConstants['capability'] = constants.capability;
export const prctl: ArchConstants['prctl'] = constants.prctl;
export const fcntl: ArchConstants['fcntl'] = constants.fcntl;
export const resolve: ArchConstants['resolve'] = constants.resolve;
export const closeRange: ArchConstants['closeRange'] = constants.closeRange;
export const wait: ArchConstants['wait'] = constants.wait;
export const signal: ArchConstants['signal'] = constants.signal;
export const errno: ArchConstants['errno'] = constants.errno;
export const errnoName: ArchConstants['errnoName'] = constants.errnoName;
export const errnoMessage: ArchConstants['errnoMessage'] = constants.errnoMessage;
export const syscall: ArchConstants['syscall'] = constants.syscall;
export const mman: ArchConstants['mman'] = constants.mman;
export const socket: ArchConstants['socket'] = constants.socket;
export const ioctl: ArchConstants['ioctl'] = constants.ioctl;
export const netif: ArchConstants['netif'] = constants.netif;
export const statvfs: ArchConstants['statvfs'] = constants.statvfs;
export const fsMagic: ArchConstants['fsMagic'] = constants.fsMagic;
export const seccomp: ArchConstants['seccomp'] = constants.seccomp;
export const libseccomp: ArchConstants['libseccomp'] = constants.libseccomp;
export const termios: ArchConstants['termios'] = constants.termios;
export const keyctl: ArchConstants['keyctl'] = constants.keyctl;
export const struct: ArchConstants['struct'] = constants.struct;
