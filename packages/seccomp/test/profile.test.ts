import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultProfile, loadProfile, SeccompProfileError, validateProfile } from '../src/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'seccomp-profile-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The one-line message a bad profile gets. */
function refusal(input: unknown): string {
  try {
    validateProfile(input);
  } catch (e) {
    expect(e).toBeInstanceOf(SeccompProfileError);
    expect((e as SeccompProfileError).code).toBe('ERR_SECCOMP_PROFILE');
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('the profile was accepted');
}

const base = { defaultAction: 'SCMP_ACT_ERRNO' };
const withSyscall = (rule: Record<string, unknown>) => ({
  ...base,
  syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, rule],
});

describe('validateProfile', () => {
  it('fills in what the file may leave out', () => {
    expect(
      validateProfile({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }),
    ).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: [],
      archMap: [],
      flags: [],
      syscalls: [
        {
          names: ['read'],
          action: 'SCMP_ACT_ALLOW',
          args: [],
          includes: { caps: [], arches: [] },
          excludes: { caps: [], arches: [] },
        },
      ],
    });
  });

  it("turns containers-common's errno names into numbers and merges the old `name`", () => {
    const p = validateProfile({
      ...base,
      defaultErrno: 'ENOSYS',
      syscalls: [{ name: 'write', names: ['read'], action: 'SCMP_ACT_ERRNO', errno: 'EACCES' }],
    });
    expect(p.defaultErrnoRet).toBe(38);
    expect(p.syscalls[0]!.names).toEqual(['read', 'write']);
    expect(p.syscalls[0]!.errnoRet).toBe(13);
  });

  it.each([
    [
      withSyscall({ names: ['x'], action: 'SCMP_ACT_FOO' }),
      'seccomp profile: syscalls[1].action: unknown action "SCMP_ACT_FOO"',
    ],
    [{}, 'seccomp profile: defaultAction: missing'],
    [[], 'seccomp profile: must be an object, not an array'],
    [{ ...base, defaultaction: 'x' }, 'seccomp profile: defaultaction: unknown field'],
    [{ defaultAction: 7 }, 'seccomp profile: defaultAction: unknown action 7'],
    [
      { ...base, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80'] },
      'seccomp profile: architectures[1]: unknown architecture "SCMP_ARCH_Z80"',
    ],
    [
      { ...base, archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: 'x' }] },
      'seccomp profile: archMap[0].subArchitectures: must be an array, not "x"',
    ],
    [
      { ...base, flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] },
      'seccomp profile: flags[0]: unknown or unsupported flag "SECCOMP_FILTER_FLAG_NEW_LISTENER" (known: SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW)',
    ],
    [
      { ...base, listenerPath: '/run/agent.sock' },
      'seccomp profile: listenerPath: seccomp agents (SCMP_ACT_NOTIFY) are not supported',
    ],
    [{ ...base, syscalls: {} }, 'seccomp profile: syscalls: must be an array, not an object'],
    [
      withSyscall({ names: [], action: 'SCMP_ACT_ALLOW' }),
      'seccomp profile: syscalls[1].names: names no system call',
    ],
    [
      withSyscall({ names: ['read;rm'], action: 'SCMP_ACT_ALLOW' }),
      'seccomp profile: syscalls[1].names[0]: not a system call name: "read;rm"',
    ],
    [withSyscall({ names: ['read'] }), 'seccomp profile: syscalls[1].action: missing'],
    [
      withSyscall({ names: ['read'], action: 'SCMP_ACT_NOTIFY' }),
      'seccomp profile: syscalls[1].action: SCMP_ACT_NOTIFY (seccomp agents) is not supported',
    ],
    [
      withSyscall({ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }),
      'seccomp profile: syscalls[1].errnoRet: must be an integer from 0 to 4095, not -1',
    ],
    [
      withSyscall({ names: ['read'], action: 'SCMP_ACT_ERRNO', errno: 'EWHAT' }),
      'seccomp profile: syscalls[1].errno: unknown errno name "EWHAT"',
    ],
    [
      withSyscall({ names: ['read'], action: 'SCMP_ACT_ERRNO', errno: 'EPERM', errnoRet: 2 }),
      'seccomp profile: syscalls[1].errnoRet: 2 contradicts errno EPERM (1)',
    ],
    [
      withSyscall({
        names: ['read'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }],
      }),
      'seccomp profile: syscalls[1].args[0].index: must be an integer from 0 to 5, not 6',
    ],
    [
      withSyscall({
        names: ['read'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0, op: 'EQ' }],
      }),
      'seccomp profile: syscalls[1].args[0].op: unknown operator "EQ"',
    ],
    [
      withSyscall({
        names: ['read'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 2 ** 64, op: 'SCMP_CMP_EQ' }],
      }),
      `seccomp profile: syscalls[1].args[0].value: must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, not ${2 ** 64}`,
    ],
    [
      withSyscall({
        names: ['read'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, op: 'SCMP_CMP_EQ', valueThree: 1 }],
      }),
      'seccomp profile: syscalls[1].args[0].valueThree: unknown field',
    ],
    [
      withSyscall({
        names: ['read'],
        action: 'SCMP_ACT_ALLOW',
        includes: { caps: ['CAP_SYS ADMIN'] },
      }),
      'seccomp profile: syscalls[1].includes.caps[0]: not a capability: "CAP_SYS ADMIN"',
    ],
    [
      withSyscall({ names: ['read'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: 'five' } }),
      'seccomp profile: syscalls[1].excludes.minKernel: not a kernel version like "5.10": "five"',
    ],
  ])('refuses %j with one line naming the field', (input, message) => {
    expect(refusal(input)).toBe(message);
  });
});

describe('loadProfile', () => {
  it('takes JSON text, a path or an object', () => {
    const text = JSON.stringify({
      ...base,
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
    });
    const file = join(scratch, 'p.json');
    writeFileSync(file, text);
    const fromText = loadProfile(text);
    expect(loadProfile(file)).toEqual(fromText);
    expect(loadProfile(JSON.parse(text))).toEqual(fromText);
  });

  it('names the file in its messages', () => {
    const file = join(scratch, 'bad.json');
    writeFileSync(
      file,
      '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_FOO"}]}',
    );
    expect(() => loadProfile(file)).toThrow(
      `seccomp profile ${file}: syscalls[0].action: unknown action "SCMP_ACT_FOO"`,
    );
  });

  it('says which file cannot be read, with its errno code', () => {
    const file = join(scratch, 'missing.json');
    expect(() => loadProfile(file)).toThrow(
      expect.objectContaining({ code: 'ENOENT', path: file }),
    );
  });

  it('refuses text that is not JSON in one line', () => {
    expect(() => loadProfile('{"defaultAction": ')).toThrow(/^seccomp profile: not valid JSON: /);
  });
});

describe("podman's default profile", () => {
  it('validates, and denies by default with ENOSYS', () => {
    const p = defaultProfile();
    expect(p.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(p.defaultErrnoRet).toBe(38);
    expect(p.archMap.find((m) => m.architecture === 'SCMP_ARCH_X86_64')?.subArchitectures).toEqual([
      'SCMP_ARCH_X86',
      'SCMP_ARCH_X32',
    ]);
    expect(p.syscalls.length).toBe(35);
  });
});
