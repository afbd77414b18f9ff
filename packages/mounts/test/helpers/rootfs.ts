import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { TestUser } from '@rootless-ts/testkit';

const BUSYBOX = '/bin/busybox';

/**
 * Builds a busybox root filesystem in dir (Debian's busybox-static: one static binary, every
 * applet a symlink to it), with empty /etc/resolv.conf and /etc/hosts as real images have.
 * Under root the tree is given to the test user, who runs the container. Switch to a
 * namespaces-package helper when it lands.
 */
export function buildBusyboxRoot(dir: string, user: TestUser): string {
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} is missing: install busybox-static (tools/setup-host.sh does)`);
  }
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n');
  for (const a of applets) {
    if (a && a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ntty:x:5:\n');
  writeFileSync(join(dir, 'etc/resolv.conf'), '');
  writeFileSync(join(dir, 'etc/hosts'), '');
  chown(dir, user);
  return dir;
}

/** Gives a tree to the test user when the tests run as root. */
export function chown(path: string, user: TestUser): void {
  if (process.getuid!() === 0) execFileSync('chown', ['-hR', `${user.uid}:${user.gid}`, path]);
}
