import { spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAs, STANDARD_PATH, testUser } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';
import {
  CAP_NAMES,
  capMask,
  formatCaps,
  lastCap,
  maskUpTo,
  parseProcStatus,
  readProcCaps,
} from '../src/index.js';

/**
 * Capabilities in user namespaces, against the real kernel, as the unprivileged test user
 * (step 1 of the series): execve resets capabilities from the new ids, so a program exec'd as
 * an unmapped or non-root id has none, while root inside a mapped namespace has them all.
 */

const user = testUser();
const here = dirname(fileURLToPath(import.meta.url));
const ALL = maskUpTo(lastCap());
const SYS_ADMIN = 21;

describe('after execve in a new user namespace', () => {
  it('an unmapped id (nobody) has no capabilities: "="', async () => {
    const r = await runAs(user, 'unshare', [
      '--user',
      'sh',
      '-c',
      'id -u; cat /proc/self/status; echo ----; getpcaps $$',
    ]);
    expect(r.code).toBe(0);
    const [ours, theirs] = r.stdout.split('----\n') as [string, string];
    expect(ours.split('\n')[0]).toBe('65534');
    const caps = parseProcStatus(ours);
    expect(formatCaps(caps)).toBe('=');
    expect(theirs.trim()).toMatch(/^\d+: =$/);
    // Nothing is gained on the host either: the bounding set is only a limit.
    expect(caps.permitted | caps.effective | caps.ambient).toBe(0n);
  });

  it('a mapped non-root id (1100) has no capabilities either', async () => {
    const r = await runAs(user, 'unshare', [
      '--user',
      '--map-user=1100',
      '--map-group=1100',
      'sh',
      '-c',
      'id -u; cat /proc/self/status',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('1100');
    expect(formatCaps(parseProcStatus(r.stdout))).toBe('=');
  });

  it("another process's sets are read from /proc/<pid>/status, as getpcaps sees them", async () => {
    const child = spawn('unshare', ['--user', 'sleep', '60'], {
      stdio: 'ignore',
      env: { PATH: STANDARD_PATH },
      ...(process.getuid!() === 0 ? { uid: user.uid, gid: user.gid } : {}),
    });
    const pid = child.pid!;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const mine = readlinkSync('/proc/self/ns/user');
      for (let i = 0; readlinkSync(`/proc/${pid}/ns/user`) === mine; i++) {
        if (i > 500) throw new Error('unshare --user did not start');
        await new Promise((r) => setTimeout(r, 10));
      }
      const caps = readProcCaps(pid);
      const ref = await runAs(user, 'getpcaps', [String(pid)]);
      expect(`${pid}: ${formatCaps(caps)}`).toBe(ref.stdout.trim());
      expect(formatCaps(caps)).toBe('=');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});

interface CapsOutput {
  start: {
    text: string;
    getpcaps: string;
    sets: { e: string; p: string; i: string };
    proc: { e: string; p: string; i: string; bnd: string };
    bounding: string;
  };
  drop: { has: boolean; capBnd: string; child: string };
  lowered: { text: string; getpcaps: string };
  ambient: { has: boolean; mask: string; capAmb: string; cleared: string };
  keepCaps: { before: boolean; securebits: number; after: boolean; securebitsAfter: number };
  noNewPrivs: { before: boolean; after: boolean; status: string };
}

describe('root in a mapped user namespace (unshare -Ur), through this package', () => {
  it('has every capability its bounding set allows, and changes its sets', async () => {
    const r = await runAs(user, 'unshare', [
      '-Ur',
      process.execPath,
      join(here, 'fixtures', 'caps.mjs'),
    ]);
    if (r.code !== 0) throw new Error(`fixture failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as CapsOutput;

    // The full set after exec as root: e = p = the bounding set, which is every capability of
    // the kernel unless whoever started the tests had dropped some ("=ep" then).
    const bounding = BigInt(`0x${out.start.bounding}`);
    expect(out.start.proc.bnd).toBe(out.start.bounding);
    expect(out.start.sets).toEqual({ e: out.start.bounding, p: out.start.bounding, i: '0' });
    expect(out.start.proc).toMatchObject(out.start.sets);
    expect(out.start.text).toBe(
      formatCaps({ effective: bounding, permitted: bounding, inheritable: 0n }),
    );
    if (bounding === ALL) expect(out.start.text).toBe('=ep');
    // libcap agrees on the text of this very process.
    expect(out.start.getpcaps).toMatch(/^\d+: /);
    expect(out.start.getpcaps.replace(/^\d+: /, '')).toBe(out.start.text);

    // The bounding-set drop shows in /proc/self/status and is inherited across exec.
    const afterDrop = bounding & ~capMask(SYS_ADMIN);
    expect(out.drop.has).toBe(false);
    expect(BigInt(`0x${out.drop.capBnd}`)).toBe(afterDrop);
    const [childBnd, childCaps] = out.drop.child.split('\n') as [string, string];
    expect(BigInt(`0x${childBnd.split(/\s+/)[1]}`)).toBe(afterDrop);
    expect(childCaps.replace(/^\d+: /, '')).toBe(
      formatCaps({ effective: afterDrop, permitted: afterDrop, inheritable: 0n }),
    );
    expect(childCaps).toContain(`${CAP_NAMES[SYS_ADMIN]}-ep`);

    // Lowering an effective capability, read back by capget and by libcap.
    expect(out.lowered.text).toBe(`${out.start.text} cap_sys_admin-e`);
    expect(out.lowered.getpcaps.replace(/^\d+: /, '')).toBe(out.lowered.text);

    // Ambient: raised, visible in CapAmb, cleared.
    expect(out.ambient.has).toBe(true);
    expect(out.ambient.mask).toBe(capMask(10).toString(16));
    expect(BigInt(`0x${out.ambient.capAmb}`)).toBe(capMask(10));
    expect(BigInt(`0x${out.ambient.cleared}`)).toBe(0n);

    // keep-caps is the SECBIT_KEEP_CAPS securebit; no_new_privs shows in the status file.
    expect(out.keepCaps).toEqual({
      before: false,
      securebits: 0,
      after: true,
      securebitsAfter: 16,
    });
    expect(out.noNewPrivs).toEqual({ before: false, after: true, status: '1' });
  });
});
