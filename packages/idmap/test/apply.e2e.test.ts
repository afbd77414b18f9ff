import { chmodSync, chownSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  noSubidUser,
  removeTree,
  runAs,
  runNodeAs,
  subordinateRange,
  type TestUser,
  testUser,
  userTempDir,
} from '@rootless-ts/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  applyIdMap,
  computeIdMap,
  findHelper,
  formatProcIdMap,
  IdMapError,
  planIdMaps,
} from '../src/index.js';
import { startTarget, type Target } from './target.js';

/**
 * End to end, against the real kernel and the real setuid helpers: the test user (with
 * subordinate ids) and a user without any each map a process in a new user namespace made by
 * unshare(1), through this package run as that user.
 */

const here = dirname(fileURLToPath(import.meta.url));
const applyFixture = join(here, 'fixtures', 'apply.mjs');
const targets: Target[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const t of targets.splice(0)) await t.stop();
});
afterAll(() => {
  for (const d of dirs) removeTree(d);
});

interface ApplyOutput {
  mode?: string;
  reason?: { code: string; message: string } | null;
  expected?: { uid: string; gid: string };
  applied?: { uid: string; gid: string };
  error?: { name: string; code?: string; message: string; helperMessage?: string };
  read: { uid: string; gid: string };
  setgroups: string;
}

async function apply(user: TestUser, target: Target, mode: string): Promise<ApplyOutput> {
  const r = await runNodeAs(user, applyFixture, [String(target.pid), mode]);
  if (r.code !== 0) throw new Error(`fixture failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ApplyOutput;
}

/** A file owned by the user, to see who owns it from inside the namespace. */
function userFile(user: TestUser): string {
  const dir = userTempDir(user, 'idmap-e2e-');
  dirs.push(dir);
  const file = join(dir, 'mine');
  writeFileSync(file, 'x');
  if (process.getuid!() === 0) chownSync(file, user.uid, user.gid);
  return file;
}

describe('subordinate ids through newuidmap/newgidmap', () => {
  const user = testUser();

  it('maps a process exactly as computed, and the user is 1100 inside', async () => {
    const target = await startTarget(user);
    targets.push(target);
    const out = await apply(user, target, 'plan');
    expect(out.error).toBeUndefined();
    expect(out.mode).toBe('subordinate');
    expect(out.applied).toEqual({ uid: 'helper', gid: 'helper' });

    // What the kernel shows is what the rule computes from the user's real ranges.
    const uids = subordinateRange(user, '/etc/subuid');
    const gids = subordinateRange(user, '/etc/subgid');
    const expectedUid = formatProcIdMap(computeIdMap({ hostId: user.uid, ranges: [uids] }));
    const expectedGid = formatProcIdMap(computeIdMap({ hostId: user.gid, ranges: [gids] }));
    expect(out.read.uid).toBe(expectedUid);
    expect(out.read.gid).toBe(expectedGid);
    expect(out.expected).toEqual({ uid: expectedUid, gid: expectedGid });
    expect(out.read.uid).toBe(
      `      1100 ${String(user.uid).padStart(10)}          1\n` +
        `         0 ${String(uids.start).padStart(10)}       1100\n` +
        `      1101 ${String(uids.start + 1100).padStart(10)} ${String(uids.count - 1100).padStart(10)}\n`,
    );
    // newgidmap keeps setgroups allowed: the container may set supplementary groups.
    expect(out.setgroups).toBe('allow');

    // Inside, the user is 1100, its files are 1100's, and root's files are root's ... of the
    // host, which is not mapped: nobody (65534).
    const file = userFile(user);
    const id = await target.enter(['id', '-u']);
    expect(id.stdout.trim()).toBe('1100');
    const owners = await target.enter(['stat', '-c', '%u:%g', file, '/etc/passwd']);
    expect(owners.stdout.trim().split('\n')).toEqual(['1100:1100', '65534:65534']);
  });

  it("passes on the helper's own message when it refuses a range", async () => {
    const target = await startTarget(user);
    targets.push(target);
    const out = await apply(user, target, 'refused');
    expect(out.error?.name).toBe('IdMapError');
    expect(out.error?.code).toBe('ERR_HELPER_FAILED');
    expect(out.error?.helperMessage).toMatch(/^newuidmap: /);
    expect(out.error?.message).toContain(out.error?.helperMessage);
    expect(out.read.uid).toBe('');
  });
});

describe('the single mapping (step 2) and the fallback', () => {
  it('a user without subordinate ids gets the reason, and becomes root inside', async () => {
    const user = noSubidUser();
    const target = await startTarget(user);
    targets.push(target);
    const out = await apply(user, target, 'plan');
    expect(out.error).toBeUndefined();
    expect(out.mode).toBe('single');
    expect(out.reason).toEqual({
      code: 'no-subuid',
      message: `${user.name} has no subordinate uids in /etc/subuid`,
    });
    expect(out.applied).toEqual({ uid: 'direct', gid: 'direct' });
    expect(out.read.uid).toBe(`         0 ${String(user.uid).padStart(10)}          1\n`);
    expect(out.read.gid).toBe(`         0 ${String(user.gid).padStart(10)}          1\n`);
    expect(out.setgroups).toBe('deny');

    // uid 0 inside; the user's files are root's, the host's root files are nobody's.
    const file = userFile(user);
    expect((await target.enter(['id', '-u'])).stdout.trim()).toBe('0');
    expect((await target.enter(['id', '-g'])).stdout.trim()).toBe('0');
    const owners = await target.enter(['stat', '-c', '%u:%g', file, '/etc/passwd']);
    expect(owners.stdout.trim().split('\n')).toEqual(['0:0', '65534:65534']);
  });

  it('falls back when newuidmap is not on PATH', () => {
    const plan = planIdMaps({ user: testUser(), path: '/nonexistent:/also-missing' });
    expect(plan.mode).toBe('single');
    if (plan.mode !== 'single') return;
    expect(plan.reason).toEqual({ code: 'no-helper', message: 'newuidmap not found on PATH' });
    expect(plan.uidMap).toEqual([{ containerId: 0, hostId: testUser().uid, count: 1 }]);
  });

  it('falls back when newuidmap is not setuid, and refuses to run it', async () => {
    const dir = userTempDir(testUser(), 'idmap-helper-');
    dirs.push(dir);
    mkdirSync(join(dir, 'bin'));
    for (const name of ['newuidmap', 'newgidmap']) {
      const copy = join(dir, 'bin', name);
      copyFileSync(findHelper(name === 'newuidmap' ? 'uid' : 'gid')!.path, copy);
      chmodSync(copy, 0o755); // a copy by root would keep the setuid bit
    }
    const path = join(dir, 'bin');
    expect(findHelper('uid', path)?.privilege).toBe('none');
    const plan = planIdMaps({ user: testUser(), path });
    expect(plan.mode === 'single' && plan.reason.code).toBe('helper-not-privileged');
    const map = computeIdMap({ hostId: 1001, ranges: [{ start: 100000, count: 10 }] });
    await expect(applyIdMap(1, 'uid', map, { method: 'helper', path })).rejects.toMatchObject({
      name: 'IdMapError',
      code: 'ERR_HELPER_NOT_PRIVILEGED',
    });
    await expect(
      applyIdMap(1, 'uid', map, { method: 'helper', path: '/nonexistent' }),
    ).rejects.toBeInstanceOf(IdMapError);
    await expect(
      applyIdMap(1, 'uid', map, { method: 'helper', path: '/nonexistent' }),
    ).rejects.toMatchObject({ code: 'ERR_NO_HELPER' });
  });

  it('recognises a helper given file capabilities instead of the setuid bit (as Fedora ships it)', async () => {
    const user = testUser();
    const dir = userTempDir(user, 'idmap-fcaps-');
    dirs.push(dir);
    const copy = join(dir, 'newuidmap');
    copyFileSync(findHelper('uid')!.path, copy);
    chmodSync(copy, 0o755);
    if (process.getuid!() === 0) chownSync(copy, user.uid, user.gid);
    expect(findHelper('uid', dir)?.privilege).toBe('none');
    // The user may set file capabilities on its own file from its own user namespace.
    const r = await runAs(user, 'unshare', ['-Ur', 'setcap', 'cap_setuid=ep', copy]);
    expect(r.stderr).toBe('');
    expect(findHelper('uid', dir)?.privilege).toBe('file-capabilities');
  });

  it('uses the subordinate ids when the user has them', () => {
    const user = testUser();
    const plan = planIdMaps({ user });
    expect(plan.mode).toBe('subordinate');
    if (plan.mode !== 'subordinate') return;
    expect(plan.helpers.uid.privilege).toBe('setuid');
    expect(plan.ranges.uids).toEqual([subordinateRange(user, '/etc/subuid')]);
  });
});
