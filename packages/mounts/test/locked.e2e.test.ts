import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeListing } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';
import { planHostFiles } from '../src/index.js';
import { chown } from './helpers/rootfs.js';
import { runPlan } from './helpers/run.js';
import { scratchPerTest } from './helpers/scratch.js';

// End-to-end: the mounts a plan makes, once the program runs in a nested user namespace with a
// new mount namespace (the kernel then locks them), hold against root inside: masks cannot be
// unmounted, a read-only volume cannot be made writable, no new proc can be mounted. A proc
// planned at a chroot's /proc (debootstrap's) is there, masked, and stays.

const scratch = scratchPerTest('rootless-locked-');

/** Runs script as root of a nested user namespace, in a new mount namespace: the locked view. */
const nested = (script: string) =>
  `unshare --user --map-root-user --mount sh -c '${script.replaceAll("'", `'\\''`)}'`;

/** "NAME rc=N" lines: each attempt's exit status. */
const attempt = (name: string, cmd: string) => `${cmd} >/dev/null 2>&1; echo "${name} rc=$?"`;

describe('mounts made by a plan, seen from a nested user namespace (locked)', () => {
  it('keep their masks, read-only volumes and proc against root inside; a chroot gets its proc', async () => {
    const chroot = join(scratch.dir, 'chroot');
    mkdirSync(join(chroot, 'proc'), { recursive: true });
    mkdirSync(join(chroot, 'mnt'));
    const vol = join(scratch.dir, 'vol');
    mkdirSync(vol);
    writeFileSync(join(vol, 'file'), 'original\n');
    chown(scratch.dir, scratch.user);
    const volBefore = treeListing(vol);
    const target = join(chroot, 'vol');
    const r = await runPlan(scratch.user, {
      ops: planHostFiles({
        procMounts: [join(chroot, 'proc')],
        volumes: [{ source: vol, target, readonly: true }],
      }),
      checks: {
        locked: nested(
          [
            attempt('umount-keys', 'umount /proc/keys'),
            attempt('umount-chroot-keys', `umount ${chroot}/proc/keys`),
            attempt('umount-proc', 'umount /proc'),
            attempt('umount-chroot-proc', `umount ${chroot}/proc`),
            attempt('mount-proc', `mount -t proc proc ${chroot}/mnt`),
            attempt('remount-vol-rw', `mount -o remount,bind,rw ${target}`),
            attempt('write-vol', `echo changed > ${target}/file`),
            attempt('remount-sys-rw', 'mount -o remount,bind,rw /proc/sys'),
            attempt('umount-sys', 'umount /proc/sys'),
            `echo "keys $(stat -c %t,%T /proc/keys) $(stat -c %t,%T ${chroot}/proc/keys)"`,
            `echo "pid1 $(cat ${chroot}/proc/1/comm)"`,
            // A tmpfs of its own still works (what root inside may do).
            attempt('own-tmpfs', `mount -t tmpfs t ${chroot}/mnt`),
          ].join('\n'),
        ),
        // The control, after: where the plan ran (not locked), the same unmount goes through.
        unlocked: attempt('umount-keys', 'umount /proc/keys'),
      },
    });
    expect(r.error).toBeUndefined();
    const c = r.checks.locked!;
    expect(c.status, c.stderr).toBe(0);
    const rc = (name: string) => {
      const m = new RegExp(`^${name} rc=(\\d+)$`, 'm').exec(c.stdout);
      expect(m, `${name} in ${c.stdout}`).not.toBeNull();
      return Number(m![1]);
    };
    for (const refused of [
      'umount-keys',
      'umount-chroot-keys',
      'umount-proc',
      'umount-chroot-proc',
      'mount-proc',
      'remount-vol-rw',
      'write-vol',
      'remount-sys-rw',
      'umount-sys',
    ]) {
      expect(rc(refused), refused).not.toBe(0);
    }
    expect(rc('own-tmpfs')).toBe(0);
    expect(r.checks.unlocked?.stdout).toBe('umount-keys rc=0\n');
    expect(c.stdout).toContain('keys 1,3 1,3');
    // The chroot's proc shows the container's pid namespace: its pid 1 is the plan's process.
    expect(c.stdout).toMatch(/^pid1 node$/m);
    // The host: the volume as it was.
    expect(treeListing(vol)).toEqual(volBefore);
    expect(readFileSync(join(vol, 'file'), 'utf8')).toBe('original\n');
  });
});
