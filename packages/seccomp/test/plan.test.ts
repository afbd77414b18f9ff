import { describe, expect, it } from 'vitest';
import { defaultProfile, planFilter, ruleApplies, validateProfile } from '../src/index.js';

const PODMAN_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

const here = (caps: string[], goArch = 'amd64', kernel: [number, number, number] = [6, 1, 0]) => ({
  goArch,
  capabilities: new Set(caps),
  kernel,
});
const none = { caps: [], arches: [] };

describe('ruleApplies (includes and excludes)', () => {
  it('includes: every capability, one of the arches, at least the kernel', () => {
    const inc = { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'], arches: [] };
    expect(ruleApplies(inc, none, here(['CAP_SYS_ADMIN']))).toBe(false);
    expect(ruleApplies(inc, none, here(['CAP_SYS_ADMIN', 'CAP_NET_ADMIN']))).toBe(true);
    expect(ruleApplies({ caps: [], arches: ['arm64', 'arm'] }, none, here([]))).toBe(false);
    expect(ruleApplies({ caps: [], arches: ['arm64', 'arm'] }, none, here([], 'arm64'))).toBe(true);
    const k = { caps: [], arches: [], minKernel: '5.8' };
    expect(ruleApplies(k, none, here([], 'amd64', [5, 7, 99]))).toBe(false);
    expect(ruleApplies(k, none, here([], 'amd64', [5, 8, 0]))).toBe(true);
    expect(ruleApplies(k, none, here([], 'amd64', [6, 0, 0]))).toBe(true);
  });

  it('excludes: any capability, the arch, from the kernel on', () => {
    const exc = { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'], arches: [] };
    expect(ruleApplies(none, exc, here(['CAP_NET_ADMIN']))).toBe(false);
    expect(ruleApplies(none, exc, here(['CAP_CHOWN']))).toBe(true);
    expect(ruleApplies(none, { caps: [], arches: ['amd64'] }, here([]))).toBe(false);
    const k = { caps: [], arches: [], minKernel: '4.8' };
    expect(ruleApplies(none, k, here([], 'amd64', [4, 7, 0]))).toBe(true);
    expect(ruleApplies(none, k, here([], 'amd64', [4, 8, 0]))).toBe(false);
  });
});

describe("planFilter on podman's default profile", () => {
  const profile = defaultProfile();
  const namesOf = (caps: string[], arch = 'x64') =>
    planFilter(profile, { capabilities: caps, arch, kernel: '6.1.0' }).rules.flatMap((r) =>
      r.names.map((n) => `${n}:${r.action}${r.errno === undefined ? '' : `(${r.errno})`}`),
    );

  it('takes the native entry of archMap with its sub-architectures', () => {
    expect(planFilter(profile, { capabilities: [], arch: 'x64' }).architectures).toEqual([
      'SCMP_ARCH_X86_64',
      'SCMP_ARCH_X86',
      'SCMP_ARCH_X32',
    ]);
    expect(planFilter(profile, { capabilities: [], arch: 'arm64' }).architectures).toEqual([
      'SCMP_ARCH_AARCH64',
      'SCMP_ARCH_ARM',
    ]);
  });

  it('allows sethostname only with CAP_SYS_ADMIN, else EPERM', () => {
    expect(namesOf(PODMAN_CAPS)).toContain('sethostname:SCMP_ACT_ERRNO(1)');
    expect(namesOf(PODMAN_CAPS)).not.toContain('sethostname:SCMP_ACT_ALLOW');
    const withAdmin = namesOf([...PODMAN_CAPS, 'sys_admin']);
    expect(withAdmin).toContain('sethostname:SCMP_ACT_ALLOW');
    expect(withAdmin).not.toContain('sethostname:SCMP_ACT_ERRNO(1)');
  });

  it("allows chroot with podman's set (CAP_SYS_CHROOT) and arch_prctl only on amd64", () => {
    expect(namesOf(PODMAN_CAPS)).toContain('chroot:SCMP_ACT_ALLOW');
    expect(namesOf([])).toContain('chroot:SCMP_ACT_ERRNO(1)');
    expect(namesOf(PODMAN_CAPS)).toContain('arch_prctl:SCMP_ACT_ALLOW');
    expect(namesOf(PODMAN_CAPS, 'arm64')).not.toContain('arch_prctl:SCMP_ACT_ALLOW');
    expect(namesOf(PODMAN_CAPS, 'arm64')).toContain('cacheflush:SCMP_ACT_ALLOW');
  });

  it('leaves out what it does not allow: add_key falls to the default (ENOSYS)', () => {
    const plan = planFilter(profile, { capabilities: PODMAN_CAPS, arch: 'x64' });
    expect(plan.defaultAction).toEqual({ action: 'SCMP_ACT_ERRNO', errno: 38 });
    expect(plan.rules.some((r) => r.names.includes('add_key'))).toBe(false);
  });

  it('splits conditions on the same argument into rules of their own (as runc)', () => {
    const p = validateProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {
          names: ['socket'],
          action: 'SCMP_ACT_ERRNO',
          args: [
            { index: 0, value: 16, op: 'SCMP_CMP_EQ' },
            { index: 2, value: 9, op: 'SCMP_CMP_EQ' },
          ],
        },
        {
          names: ['personality'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 22,
          args: [
            { index: 0, value: 0, op: 'SCMP_CMP_EQ' },
            { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
          ],
        },
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
      ],
    });
    const plan = planFilter(p, { capabilities: [], arch: 'x64' });
    expect(plan.rules.map((r) => [r.names[0], r.errno, r.conditions.map((g) => g.length)])).toEqual(
      [
        ['socket', 1, [2]],
        ['personality', 22, [1, 1]],
      ],
    );
  });

  it('prefers the OCI architectures list over archMap', () => {
    const p = validateProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
    });
    expect(planFilter(p, { capabilities: [], arch: 'x64' }).architectures).toEqual([
      'SCMP_ARCH_X86_64',
    ]);
  });

  it('refuses architectures it has no filter for', () => {
    expect(() => planFilter(profile, { capabilities: [], arch: 'riscv64' })).toThrow(
      expect.objectContaining({ code: 'ERR_SECCOMP_ARCH' }),
    );
  });
});
