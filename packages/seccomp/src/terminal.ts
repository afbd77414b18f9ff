import { constantsFor, errno as E } from '@rootless-ts/constants';
import { filterArch } from './plan.js';
import type { SeccompProfile } from './types.js';

/**
 * A profile that allows everything but the two ioctls through which a program can type into a
 * terminal: TIOCSTI (push a byte into the terminal's input queue, the class of bubblewrap's
 * CVE-2017-5226) and TIOCLINUX (on a Linux virtual console: paste the selection into the
 * input, among others). Both fail with EPERM, on any descriptor.
 *
 * The command argument is compared on its low 32 bits only (SCMP_CMP_MASKED_EQ with
 * 0xffffffff): the kernel reads it as an `unsigned int`, so a program that sets the upper half
 * of the register would slip past an exact comparison yet reach TIOCSTI (flatpak's
 * CVE-2019-10063).
 *
 * Meant to be installed as a filter of its own beside a container's profile: stacked filters
 * all apply and the strictest answer wins, so it holds whatever the other profile allows.
 * Every ABI of the architecture is listed (x86_64, i386 and x32; aarch64 and arm), so it never
 * kills a program for its ABI: that is the other profile's decision.
 */
export function terminalGuardProfile(arch: string = process.arch): SeccompProfile {
  const fa = filterArch(arch);
  const { ioctl } = constantsFor(fa);
  const deny = (cmd: number, comment: string) => ({
    names: ['ioctl'],
    action: 'SCMP_ACT_ERRNO' as const,
    errnoRet: E.EPERM,
    args: [{ index: 1, value: 0xffffffff, valueTwo: cmd, op: 'SCMP_CMP_MASKED_EQ' as const }],
    includes: { caps: [], arches: [] },
    excludes: { caps: [], arches: [] },
    comment,
  });
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures:
      fa === 'x64'
        ? ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']
        : ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    archMap: [],
    flags: [],
    syscalls: [
      deny(ioctl.TIOCSTI, 'TIOCSTI: types into the terminal'),
      deny(ioctl.TIOCLINUX, 'TIOCLINUX: pastes into a virtual console, among others'),
    ],
  };
}
