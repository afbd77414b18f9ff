import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noSubidUser, removeTree, type TestUser, userTempDir } from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRoot, expectNoLeftovers, rootless, snapshot, user } from './helpers.js';

// Attacks on the mounts the setup made, as root inside: with -u root, with --map-uid 0 (the
// default user is then root) and under the single mapping (a user without subordinate ids is
// root inside). The program runs in a nested user namespace with its own mount namespace, so
// the kernel locks every mount of the setup: each attempt must be refused, and the host (the
// read-only volume's file, the mount table, the processes) must be as it was.

/** "NAME rc=N" lines: each attempt's exit status. */
const attempt = (name: string, cmd: string) => `${cmd} >/dev/null 2>&1; echo "${name} rc=$?"`;

function statuses(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of stdout.matchAll(/^(\S+) rc=(\d+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** Every attempt in `refused` ran and failed; every one in `allowed` ran and worked. */
function expectStatuses(stdout: string, refused: string[], allowed: string[]) {
  const rc = statuses(stdout);
  for (const name of refused) {
    expect(rc.get(name), `${name} in:\n${stdout}`).toBeDefined();
    expect(rc.get(name), `${name} must be refused:\n${stdout}`).not.toBe(0);
  }
  for (const name of allowed) expect(rc.get(name), `${name} must work:\n${stdout}`).toBe(0);
}

/** The attacks on a container with a root filesystem and a read-only volume at /vol. */
const ROOTFS_ATTACKS = [
  'id -u',
  'mkdir -p /mnt',
  attempt('remount-vol-rw', 'mount -o remount,bind,rw /vol'),
  attempt('write-vol', 'echo changed > /vol/file'),
  attempt('umount-vol', 'umount /vol'),
  attempt('umount-keys', 'umount /proc/keys'),
  attempt('umount-l-keys', 'umount -l /proc/keys'),
  attempt('umount-firmware', 'umount /sys/firmware'),
  attempt('umount-proc-sys', 'umount /proc/sys'),
  attempt('remount-proc-sys-rw', 'mount -o remount,bind,rw /proc/sys'),
  attempt('mount-proc', 'mount -t proc proc /mnt'),
  attempt('remount-sys-rw', 'mount -o remount,rw /sys'),
  attempt('umount-proc', 'umount -l /proc'),
  // Still masked, still read-only, after all that.
  `echo "keys $(stat -c %t,%T /proc/keys)"`,
  `echo "firmware $(ls -A /sys/firmware | wc -l)"`,
  attempt('write-proc-sys', 'echo 1 > /proc/sys/kernel/ns_last_pid'),
  // What root inside may still do: its own hostname and its own tmpfs.
  attempt('hostname', 'hostname other && [ "$(hostname)" = other ]'),
  attempt('own-tmpfs', 'mount -t tmpfs t /mnt && touch /mnt/x'),
].join('\n');

const ROOTFS_REFUSED = [
  'remount-vol-rw',
  'write-vol',
  'umount-vol',
  'umount-keys',
  'umount-l-keys',
  'umount-firmware',
  'umount-proc-sys',
  'remount-proc-sys-rw',
  'mount-proc',
  'remount-sys-rw',
  'umount-proc',
  'write-proc-sys',
];

/** A busybox root and a volume directory of `u`, and what is checked on the host after. */
async function attackWithRoot(u: TestUser, root: string, args: string[]) {
  const dir = userTempDir(u, 'rootless-demo-locked-');
  try {
    writeFileSync(join(dir, 'file'), 'original\n');
    const { chownSync } = await import('node:fs');
    chownSync(join(dir, 'file'), u.uid, u.gid);
    const before = snapshot(u, dir);
    const r = await rootless(
      ['run', '-r', root, '-v', `${dir}:/vol:ro`, ...args, '--', 'sh', '-c', ROOTFS_ATTACKS],
      { as: u },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('0');
    expectStatuses(r.stdout, ROOTFS_REFUSED, ['hostname', 'own-tmpfs']);
    expect(r.stdout).toContain('keys 1,3\n');
    expect(r.stdout).toContain('firmware 0\n');
    // The host: the volume's file as it was, no mount, no process left.
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('original\n');
    await expectNoLeftovers(before, u, dir);
  } finally {
    removeTree(dir);
  }
}

let bb: Awaited<ReturnType<typeof busyboxRoot>>;
let nosub: TestUser;
let nosubDir: string;
beforeAll(async () => {
  bb = await busyboxRoot();
  nosub = noSubidUser();
  nosubDir = userTempDir(nosub, 'rootless-demo-locked-nosub-');
  const r = await rootless(['rootfs', 'busybox', join(nosubDir, 'bb')], { as: nosub });
  if (r.code !== 0) throw new Error(`rootfs busybox failed for ${nosub.name}: ${r.stderr}`);
});
afterAll(() => {
  bb?.cleanup();
  if (nosubDir) removeTree(nosubDir);
});

describe('root inside cannot undo the setup (--root, a :ro volume)', () => {
  it('with -u root', async () => {
    await attackWithRoot(user, bb.root, ['-u', 'root']);
  });

  it('with --map-uid 0 (the default user is root)', async () => {
    await attackWithRoot(user, bb.root, ['--map-uid', '0', '--map-gid', '0']);
  });

  it('under the single mapping (no subordinate ids: the default user is root)', async () => {
    await attackWithRoot(nosub, join(nosubDir, 'bb'), []);
  });
});

/** Without --root: the host's files, a masked proc of the container's own over the host's. */
const HOST_FILES_ATTACKS = [
  'id -u',
  '[ -d /mnt ] || exit 3',
  attempt('umount-proc', 'umount /proc'),
  attempt('umount-l-proc', 'umount -l /proc'),
  attempt('umount-keys', 'umount /proc/keys'),
  attempt('umount-proc-sys', 'umount /proc/sys'),
  attempt('mount-proc', 'mount -t proc proc /mnt'),
  attempt('remount-proc-rw', 'mount -o remount,rw /proc'),
  `echo "keys $(stat -c %t,%T /proc/keys)"`,
  // ps reads /proc: only the container's processes (this shell and ps itself).
  'echo "ps $(ps -e -o pid= | wc -l)"',
  attempt('hostname', 'hostname other && [ "$(hostname)" = other ]'),
].join('\n');

describe('without --root, root inside cannot uncover the host', () => {
  it.each([
    ['-u root', user, ['-u', 'root']],
    ['--map-uid 0', user, ['--map-uid', '0', '--map-gid', '0']],
    ['the single mapping', 'nosub', []],
  ] as const)('with %s: /proc stays the container’s, masked', async (_what, who, args) => {
    const u = who === 'nosub' ? nosub : who;
    const before = snapshot(u);
    const r = await rootless(['run', ...args, '--', 'sh', '-c', HOST_FILES_ATTACKS], { as: u });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('0');
    expectStatuses(
      r.stdout,
      [
        'umount-proc',
        'umount-l-proc',
        'umount-keys',
        'umount-proc-sys',
        'mount-proc',
        'remount-proc-rw',
      ],
      ['hostname'],
    );
    expect(r.stdout).toContain('keys 1,3\n');
    expect(r.stdout).toMatch(/^ps [2-5]$/m);
    await expectNoLeftovers(before, u);
  });
});
