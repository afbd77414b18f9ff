import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PODMAN_DEFAULT_CAPS } from '@rootless-ts/capabilities';
import {
  mountTable,
  processesOf,
  removeTree,
  runNodeAs,
  testUser,
  userTempDir,
} from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * spawn({ seccomp }) against the real kernel, as the unprivileged test user: the profile is
 * compiled in the parent, copied to native memory by the launcher and installed by the child
 * last before execve (or before the final user without no_new_privs), beside the terminal
 * guard.
 */

const user = testUser();
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const PODMAN_CAPS = [...PODMAN_DEFAULT_CAPS];

interface Outcome {
  stdout: string;
  stderr: string;
  status?: { code: number | null; signal: string | null };
  error?: { message: string; step: string; code: string; field?: string };
}

/** The program's outcome; a spawn that failed throws its error, unless `failing` expects it. */
async function run(spec: Record<string, unknown>, failing = false): Promise<Outcome> {
  const r = await runNodeAs(user, fixture('seccomp-run.mjs'), [JSON.stringify(spec)]);
  if (r.code !== 0) throw new Error(`run fixture failed (${r.code ?? r.signal}): ${r.stderr}`);
  const o = JSON.parse(r.stdout) as Outcome;
  if (o.error && !failing) throw new Error(`spawn failed: ${JSON.stringify(o.error)}`);
  return o;
}

let dir: string;
let probe: string;
let processesBefore: string[];
let mountsBefore: string[];
const ours = () =>
  processesOf(user)
    .map((p) => `${p.pid} ${p.command}`)
    .sort();

beforeAll(() => {
  dir = userTempDir(user, 'seccomp-e2e-');
  chmodSync(dir, 0o755);
  probe = join(dir, 'abi-probe');
  // The ABI probe is C: building it needs gcc and the kernel's uapi headers.
  const scratch = mkdtempSync(join(tmpdir(), 'seccomp-probe-'));
  try {
    execFileSync('gcc', ['-static', '-no-pie', '-O1', '-o', probe, fixture('abi-probe.c')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    throw new Error(
      `cannot build the ABI probe (apt-get install gcc libc6-dev): ${(e as Error).message}`,
    );
  } finally {
    removeTree(scratch);
  }
  chmodSync(probe, 0o755);
  processesBefore = ours();
  mountsBefore = mountTable();
});

afterAll(() => {
  // Nothing left behind: no process of the test user, no host mount.
  // (Other test files' processes come and go meanwhile: only new ones count.)
  expect(ours().filter((p) => !processesBefore.includes(p))).toEqual([]);
  expect(mountTable()).toEqual(mountsBefore);
  removeTree(dir);
});

const status = (field: string, text: string) =>
  new RegExp(`^${field}:\\s*(\\S+)$`, 'm').exec(text)?.[1];

describe("podman's default profile", () => {
  it('the program runs filtered: Seccomp 2 in /proc/self/status, allowed calls work', async () => {
    const o = await run({
      profile: 'default',
      capabilities: PODMAN_CAPS,
      argv: ['sh', '-c', 'cat /proc/self/status; mkdir /tmp/x$$ && rmdir /tmp/x$$ && echo ok'],
    });
    expect(o.status).toEqual({ code: 0, signal: null });
    expect(status('Seccomp', o.stdout)).toBe('2');
    // podman's profile and the terminal guard.
    expect(status('Seccomp_filters', o.stdout)).toBe('2');
    expect(o.stdout).toContain('ok\n');
  });

  it('without a filter the same program shows Seccomp 0', async () => {
    const o = await run({ profile: 'unconfined', argv: ['cat', '/proc/self/status'] });
    expect(o.status).toEqual({ code: 0, signal: null });
    expect(status('Seccomp', o.stdout)).toBe('0');
  });

  it('a call outside the profile fails with its default errno (add_key: ENOSYS)', async () => {
    const o = await run({
      profile: 'default',
      capabilities: PODMAN_CAPS,
      argv: ['keyctl', 'add', 'user', 'rt-seccomp-test', 'secret', '@p'],
    });
    expect(o.status?.code).not.toBe(0);
    expect(o.stderr).toContain('Function not implemented');
    // Without the filter the key is added (to the program's own process keyring: nothing on
    // the host changes), and keyctl prints its serial number.
    const free = await run({
      profile: 'unconfined',
      argv: ['keyctl', 'add', 'user', 'rt-seccomp-test', 'secret', '@p'],
    });
    expect(free.status).toEqual({ code: 0, signal: null });
    expect(free.stdout).toMatch(/^\d+\n$/);
  });

  it('a call the profile allows only with a capability fails with EPERM without it', async () => {
    // sethostname needs CAP_SYS_ADMIN in podman's profile; root inside has it in its namespace.
    const denied = await run({
      profile: 'default',
      capabilities: PODMAN_CAPS,
      argv: ['hostname', 'changed'],
    });
    expect(denied.status?.code).not.toBe(0);
    expect(denied.stderr).toMatch(/not permitted|must be root/i);
    const allowed = await run({
      profile: 'default',
      capabilities: [...PODMAN_CAPS, 'CAP_SYS_ADMIN'],
      argv: ['sh', '-c', 'hostname changed && hostname'],
    });
    expect(allowed.status).toEqual({ code: 0, signal: null });
    expect(allowed.stdout).toBe('changed\n');
  });

  it('the i386 ABI reaches only the same rules (add_key through int $0x80: ENOSYS)', async () => {
    expect(process.arch).toBe('x64');
    const filtered = await run({
      profile: 'default',
      capabilities: PODMAN_CAPS,
      argv: [probe, 'i386', 'add_key', '-'],
    });
    expect(filtered.status).toEqual({ code: 0, signal: null });
    expect(filtered.stdout).toBe('ret=-38\n');
    const free = await run({ profile: 'unconfined', argv: [probe, 'i386', 'add_key', '-'] });
    expect(free.stdout).not.toBe('ret=-38\n');
  });
});

describe('a custom profile denying mkdir, on x86_64 only', () => {
  const profile = (errno: number) => ({
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: errno }],
  });

  it("fails mkdir with the profile's errno (EPERM, then ENOSYS); the directory is not made", async () => {
    for (const [errno, text] of [
      [1, 'Operation not permitted'],
      [38, 'Function not implemented'],
    ] as const) {
      const target = join(dir, `denied-${errno}`);
      const o = await run({ profile: profile(errno), argv: ['busybox', 'mkdir', target] });
      expect(o.status?.code).toBe(1);
      expect(o.stderr).toContain(text);
      expect(existsSync(target)).toBe(false);
    }
    const o = await run({ profile: profile(1), argv: [probe, 'native', 'mkdir', join(dir, 'n')] });
    expect(o.stdout).toBe('ret=-1\n');
  });

  it('an i386 or x32 mkdir, the ABIs the profile leaves out, kills the process', async () => {
    expect(process.arch).toBe('x64');
    for (const abi of ['i386', 'x32']) {
      const target = join(dir, `bypass-${abi}`);
      const o = await run({ profile: profile(1), argv: [probe, abi, 'mkdir', target] });
      expect(o.status).toEqual({ code: null, signal: 'SIGSYS' });
      expect(existsSync(target)).toBe(false);
    }
    // Without the filter, the i386 call does make the directory: the bypass is real.
    const target = join(dir, 'unfiltered-i386');
    const free = await run({ profile: 'unconfined', argv: [probe, 'i386', 'mkdir', target] });
    expect(free.stdout).toBe('ret=0\n');
    expect(existsSync(target)).toBe(true);
  });

  it('works without no_new_privs too: root inside holds CAP_SYS_ADMIN in its namespace', async () => {
    const o = await run({
      profile: profile(1),
      noNewPrivileges: false,
      argv: ['sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'],
    });
    expect(o.status).toEqual({ code: 0, signal: null });
    expect(o.stdout).toBe('NoNewPrivs:\t0\nSeccomp:\t2\n');
  });

  it('and for a user without capabilities: installed before the switch to it', async () => {
    const target = join(dir, 'denied-nonroot');
    const o = await run({
      profile: profile(1),
      noNewPrivileges: false,
      uid: 1100,
      capabilities: PODMAN_CAPS,
      argv: [
        'sh',
        '-c',
        `grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status; id -u; busybox mkdir ${target}`,
      ],
    });
    expect(o.stdout).toBe('CapEff:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\n1100\n');
    expect(o.stderr).toContain('Operation not permitted');
    expect(existsSync(target)).toBe(false);
  });
});

describe('bad profiles', () => {
  it('get one line naming the field, before anything is spawned', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ALLOW' },
          { names: ['write'], action: 'SCMP_ACT_FOO' },
        ],
      }),
    );
    chmodSync(bad, 0o644);
    const o = await run({ profile: bad, argv: ['true'] }, true);
    expect(o.error).toEqual({
      message: `options: seccomp profile ${bad}: syscalls[1].action: unknown action "SCMP_ACT_FOO"`,
      step: 'options',
      code: 'ERR_SECCOMP_PROFILE',
      field: 'syscalls[1].action',
    });
    expect(o.error?.message).not.toContain('\n');
    expect(readFileSync(bad, 'utf8')).toContain('SCMP_ACT_FOO');
  });
});
