import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { struct } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import {
  checkProgram,
  compileFilter,
  compileFilterWithReport,
  defaultProfile,
  libseccompVersion,
  loadProfile,
} from '../src/index.js';

/**
 * Compiling needs only libseccomp.so.2; installing needs no privilege once no_new_privs is set,
 * so these run as any user: the filter is installed in a child Node process (a filter cannot
 * be removed), which reports what the kernel then does.
 */

const child = fileURLToPath(new URL('./fixtures/install-child.mjs', import.meta.url));

function inChild(bpf: Uint8Array, mode: string) {
  const r = spawnSync(process.execPath, [child, mode], {
    input: Buffer.from(bpf).toString('base64'),
    encoding: 'utf8',
  });
  return { status: r.status, signal: r.signal, out: r.stdout.trim(), err: r.stderr.trim() };
}

describe('compileFilter', () => {
  it("compiles podman's default profile with Debian's libseccomp", () => {
    expect(libseccompVersion()).toMatch(/^2\.\d+\.\d+$/);
    const { bpf, unknownSyscalls } = compileFilterWithReport(defaultProfile(), {
      capabilities: ['CAP_CHOWN'],
    });
    expect(checkProgram(bpf)).toBe(bpf.byteLength / struct.sock_filter.size);
    expect(bpf.byteLength).toBeGreaterThan(100 * struct.sock_filter.size);
    expect(unknownSyscalls).toEqual([]);
  });

  it('skips system call names libseccomp does not know, and reports them', () => {
    const p = loadProfile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'no_such_call'], action: 'SCMP_ACT_ERRNO' }],
    });
    expect(compileFilterWithReport(p, { capabilities: [] }).unknownSyscalls).toEqual([
      'no_such_call',
    ]);
  });

  it('refuses to build for another architecture than this one', () => {
    const other = process.arch === 'x64' ? 'arm64' : 'x64';
    expect(() => compileFilter(defaultProfile(), { capabilities: [], arch: other })).toThrow(
      expect.objectContaining({ code: 'ERR_SECCOMP_ARCH' }),
    );
  });

  it('refuses a program that is not whole instructions', () => {
    expect(() => checkProgram(new Uint8Array(12))).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(() => checkProgram(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });
});

describe('installFilter (in a child process, with no_new_privs)', () => {
  const denyMkdir = (errno: number) =>
    compileFilter(
      loadProfile({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: errno }],
      }),
      { capabilities: [] },
    );

  it("makes the denied call fail with the profile's errno; others work; Seccomp 2", () => {
    expect(inChild(denyMkdir(1), 'mkdir')).toMatchObject({ status: 0, out: 'EPERM 2' });
    expect(inChild(denyMkdir(38), 'mkdir')).toMatchObject({ status: 0, out: 'ENOSYS 2' });
    expect(inChild(denyMkdir(1), 'none')).toMatchObject({ status: 0, out: 'ok 0' });
  });

  it('is refused without no_new_privs or CAP_SYS_ADMIN (EACCES), when not root', () => {
    const r = inChild(denyMkdir(1), 'without-nnp');
    if (process.getuid!() === 0) expect(r).toMatchObject({ status: 0, out: 'installed' });
    else expect(r).toMatchObject({ status: 0, out: 'EACCES' });
  });
});
