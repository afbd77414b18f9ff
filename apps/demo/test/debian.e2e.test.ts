import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { removeTree, userTempDir } from '@rootless-ts/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { findMirror, hostCodename, readAptSources } from '../src/apt-sources.js';
import {
  expectNoLeftovers,
  hostEnv,
  rootless,
  snapshot,
  subgid,
  subuid,
  treeListing,
  user,
} from './helpers.js';

// Step 4's experience: a package manager run as root inside installs a whole distribution.
// Downloads Debian's minbase (about 40 MB) from this machine's mirror: a few minutes at most.
const dir = userTempDir(user, 'rootless-demo-debian-');
afterAll(() => removeTree(dir));

describe('step 4: debootstrap as root inside, then booting what it installed', () => {
  it('rootless rootfs debian installs Debian whose files belong to many ids; --root boots it; --image makes an image of it', async () => {
    const suite = hostCodename()!;
    const mirror = findMirror(suite, readAptSources());
    expect(mirror, `no apt source for ${suite} on this machine`).toMatch(/^https?:\/\//);
    const before = snapshot();
    const root = join(dir, 'debian');
    const layout = join(dir, 'layout');
    const r = await rootless(['rootfs', 'debian', root, '--image', `oci:${layout}:debian`], {
      timeoutMs: 600_000,
    });
    expect(r.stderr.split('\n')[0]).toBe(
      `rootless: installing Debian ${suite} from ${mirror} into ${root}`,
    );
    expect(r.stdout, r.stderr).toMatch(/I: Base system installed successfully\./);
    expect(r.code).toBe(0);
    await expectNoLeftovers(before);

    // Seen from the host, the files belong to the user's subordinate ids: root inside is the
    // first one, and group-owned files (shadow 42, utmp 43, mail 8, staff 50) to others.
    const owners = new Set<string>();
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const st = lstatSync(join(d, name));
        owners.add(`${st.uid}:${st.gid}`);
        if (st.isDirectory()) walk(join(d, name));
      }
    };
    walk(join(root, 'etc'));
    walk(join(root, 'var'));
    const gids = new Set([...owners].map((o) => Number(o.split(':')[1])));
    expect(gids.size).toBeGreaterThanOrEqual(3);
    for (const g of gids) expect(g >= subgid.start && g < subgid.start + subgid.count).toBe(true);
    const shadow = statSync(join(root, 'etc/shadow'));
    expect([shadow.uid, shadow.gid]).toEqual([subuid.start, subgid.start + 42]);

    const boot = await rootless(['run', '--root', root, '--', 'cat', '/etc/debian_version']);
    expect(boot.stderr).toBe('');
    expect(boot.stdout).toMatch(/^\d+\.\d+\n$/);
    const inside = await rootless([
      'run',
      '--root',
      root,
      '-u',
      'root',
      '--',
      'sh',
      '-c',
      "stat -c '%U:%G' /etc/shadow; apt-get --version | head -1",
    ]);
    expect(inside.stdout).toMatch(/^root:shadow\napt \d/);

    // A failure after the setup hooks: /root is root's, mode 700, so uid 1100 may not enter it.
    // The volume's mount point, made in the image by the mount plan, must be gone again.
    expect(statSync(join(root, 'root')).mode & 0o777).toBe(0o700);
    const listing = treeListing(root, { mtimes: false });
    const denied = await rootless([
      'run',
      '--root',
      root,
      '-v',
      `${dir}:/new/vol`,
      '-u',
      '1100',
      '-w',
      '/root',
      '--',
      'true',
    ]);
    expect(denied.stderr).toBe("rootless: --workdir: EACCES: permission denied, chdir '/root'\n");
    expect(denied.code).toBe(125);
    expect(treeListing(root, { mtimes: false })).toEqual(listing);

    // The image of it (the debootstrap image): owners, set-id bits and the version kept.
    const env = { ...hostEnv(), XDG_DATA_HOME: join(dir, 'data') };
    const image = await rootless(
      [
        'run',
        `oci:${layout}:debian`,
        'sh',
        '-c',
        "stat -c '%U:%G %a' /etc/shadow /usr/bin/passwd; cat /etc/debian_version; id -un",
      ],
      { env, timeoutMs: 300_000 },
    );
    expect(image.stdout).toBe(`root:shadow 640\nroot:root 4755\n${boot.stdout.trim()}\nroot\n`);
    expect(image.code).toBe(0);
    const nobody = await rootless(['run', '-u', 'nobody', `oci:${layout}:debian`, 'id'], { env });
    expect(nobody.stdout).toBe('uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n');
    await expectNoLeftovers(before);
  }, 900_000);
});
