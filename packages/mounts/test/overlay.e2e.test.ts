import { lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeListing } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';
import { buildBusyboxRoot, chown } from './helpers/rootfs.js';
import { runPlan } from './helpers/run.js';
import { scratchPerTest } from './helpers/scratch.js';

// End-to-end: an overlay root (two lower layers, an upper and a work directory) mounted by the
// unprivileged test user inside its own user+mount namespaces (overlayfs with userxattr), with
// the rest of the plan (proc, dev, sys, volumes, pivot_root) on top of it.

const scratch = scratchPerTest('rootless-overlay-');

/** Two layers: busybox with /etc/motd "top", under it a layer with its own motd and a file. */
function layers() {
  const top = buildBusyboxRoot(join(scratch.dir, 'top'), scratch.user);
  writeFileSync(join(top, 'etc/motd'), 'top\n');
  const bottom = join(scratch.dir, 'bottom');
  mkdirSync(join(bottom, 'etc'), { recursive: true });
  writeFileSync(join(bottom, 'etc/motd'), 'bottom\n');
  writeFileSync(join(bottom, 'only-bottom'), 'from the bottom layer\n');
  const upper = join(scratch.dir, 'upper');
  const work = join(scratch.dir, 'work');
  const vol = join(scratch.dir, 'vol');
  for (const d of [upper, work, vol]) mkdirSync(d);
  writeFileSync(join(vol, 'shared'), 'volume\n');
  chown(scratch.dir, scratch.user);
  return { top, bottom, upper, work, vol };
}

describe('an overlay root', () => {
  it('shows the merged layers, writes to upperdir only, and takes proc, dev, sys and volumes', async () => {
    const { top, bottom, upper, work, vol } = layers();
    const lowersBefore = [...treeListing(top), ...treeListing(bottom)];
    const r = await runPlan(scratch.user, {
      options: {
        root: { overlay: { lowerdirs: [top, bottom], upperdir: upper, workdir: work } },
        volumes: [{ source: vol, target: '/vol', readonly: true }],
        hostname: 'box',
      },
      checks: {
        merged: 'cat /etc/motd /only-bottom',
        write:
          'echo new > /newfile && echo changed > /etc/motd && rm /only-bottom && ls / | grep -c only-bottom; true',
        after: 'cat /newfile /etc/motd',
        ps: 'ps -o pid,args | wc -l',
        keys: 'stat -c %t,%T /proc/keys',
        vol: 'cat /vol/shared && ! touch /vol/x 2>/dev/null',
        mounts: 'grep -E " / | /proc | /vol " /proc/self/mountinfo',
      },
    });
    expect(r.error).toBeUndefined();
    const out = (name: string) => {
      const c = r.checks[name]!;
      expect(c.status, `${name}: ${c.stderr}`).toBe(0);
      return c.stdout;
    };
    expect(out('merged')).toBe('top\nfrom the bottom layer\n');
    expect(out('write')).toBe('0\n');
    expect(out('after')).toBe('new\nchanged\n');
    expect(Number(out('ps').trim())).toBeGreaterThan(1);
    expect(out('keys').trim()).toBe('1,3');
    expect(out('vol')).toBe('volume\n');
    const mounts = out('mounts');
    expect(mounts).toMatch(/ \/ .* - overlay overlay .*userxattr/);
    expect(mounts).toMatch(/ \/proc .* - proc /);
    // On the host: the changes are in upperdir, the layers are as they were.
    expect(readFileSync(join(upper, 'newfile'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(upper, 'etc/motd'), 'utf8')).toBe('changed\n');
    // The removal is a whiteout (a 0:0 character device) in upperdir.
    expect(lstatSync(join(upper, 'only-bottom')).isCharacterDevice()).toBe(true);
    expect([...treeListing(top), ...treeListing(bottom)]).toEqual(lowersBefore);
    expect(readFileSync(join(top, 'etc/motd'), 'utf8')).toBe('top\n');
    expect(readFileSync(join(bottom, 'only-bottom'), 'utf8')).toBe('from the bottom layer\n');
  });

  it('fails with one clear error for a workdir on another filesystem, leaving the layers alone', async () => {
    const { top, upper } = layers();
    const before = treeListing(top);
    const r = await runPlan(scratch.user, {
      // /dev/shm is a tmpfs: not the filesystem upperdir is on.
      options: {
        root: { overlay: { lowerdirs: [top], upperdir: upper, workdir: '/dev/shm' } },
      },
    });
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ name: 'MountError', op: 'overlayRoot', path: upper });
    expect(r.error?.message).toMatch(/overlay/);
    expect(treeListing(top)).toEqual(before);
    expect(treeListing(upper)).toEqual([]);
  });
});
