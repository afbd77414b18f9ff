import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { RootlessError } from './errors.js';

/** The series' accounts: root, and a user `alpine` with id 1100 (the invoking user's mapped id). */
export const BUSYBOX_PASSWD = `root:x:0:0:root:/root:/bin/sh
alpine:x:1100:1100:alpine:/home/alpine:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`;
export const BUSYBOX_GROUP = `root:x:0:
tty:x:5:
wheel:x:10:alpine
alpine:x:1100:
nogroup:x:65534:
`;

/** Where each applet goes, from `busybox --list-full` ("bin/ls", "usr/sbin/chroot", …). */
export function appletLinks(listFull: string): Array<{ path: string; linkTo: string }> {
  const out: Array<{ path: string; linkTo: string }> = [];
  for (const line of listFull.split('\n')) {
    const path = line.trim().replace(/^\/+/, '');
    if (path === '' || path.includes('..') || path === 'bin/busybox') continue;
    out.push({ path, linkTo: relative(dirname(`/${path}`), '/bin/busybox') });
  }
  return out;
}

/**
 * `rootless rootfs busybox DIR`: a root filesystem from the host's static busybox, without a
 * download: /bin/busybox and its applet links, /etc/passwd and /etc/group (root, alpine 1100),
 * /etc/hostname, empty /etc/hosts and /etc/resolv.conf (mount points), empty /proc, /sys, /dev,
 * /tmp (1777), /root and /home/alpine. The files belong
 * to the invoking user, who is mapped to 1100 (alpine) inside: alpine owns its home.
 */
export function makeBusyboxRoot(dir: string, busybox = '/bin/busybox'): string {
  const root = resolve(dir);
  if (!existsSync(busybox)) {
    throw new RootlessError('rootfs busybox', `${busybox} not found (install busybox-static)`);
  }
  if (existsSync(root) && readdirSync(root).length > 0) {
    throw new RootlessError('rootfs busybox', `${root} exists and is not empty`);
  }
  let list: string;
  try {
    list = process
      .getBuiltinModule('node:child_process')
      .execFileSync(busybox, ['--list-full'], { encoding: 'utf8' });
  } catch (e) {
    throw new RootlessError(
      'rootfs busybox',
      `${busybox} --list-full failed: ${(e as Error).message}`,
    );
  }
  const created = !existsSync(root);
  try {
    for (const d of [
      'bin',
      'sbin',
      'usr/bin',
      'usr/sbin',
      'etc',
      'proc',
      'sys',
      'dev',
      'root',
      'home/alpine',
      'tmp',
      'var/tmp',
      'run',
    ]) {
      mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
    }
    chmodSync(join(root, 'root'), 0o700);
    chmodSync(join(root, 'tmp'), 0o1777);
    chmodSync(join(root, 'var/tmp'), 0o1777);
    copyFileSync(busybox, join(root, 'bin/busybox'));
    chmodSync(join(root, 'bin/busybox'), 0o755);
    for (const { path, linkTo } of appletLinks(list)) {
      const at = join(root, path);
      mkdirSync(dirname(at), { recursive: true });
      if (!existsSync(at)) symlinkSync(linkTo, at);
    }
    writeFileSync(join(root, 'etc/passwd'), BUSYBOX_PASSWD, { mode: 0o644 });
    writeFileSync(join(root, 'etc/group'), BUSYBOX_GROUP, { mode: 0o644 });
    writeFileSync(join(root, 'etc/hostname'), 'busybox\n', { mode: 0o644 });
    // Mount points for the host's files `rootless run` binds: present, nothing is created in
    // the image at run time (such files would belong to root inside, not to the user).
    writeFileSync(join(root, 'etc/resolv.conf'), '', { mode: 0o644 });
    writeFileSync(join(root, 'etc/hosts'), '', { mode: 0o644 });
    writeFileSync(join(root, 'etc/profile'), "export PS1='\\u@\\h:\\w\\$ '\n", { mode: 0o644 });
    // Run by root on the host, the single mapping makes root root inside; give alpine its home.
    if (process.getuid?.() === 0) chownSync(join(root, 'home/alpine'), 1100, 1100);
  } catch (e) {
    if (e instanceof RootlessError) throw e;
    // Nothing left behind: the directory was missing or empty.
    if (created) rmSync(root, { recursive: true, force: true });
    else for (const e of readdirSync(root)) rmSync(join(root, e), { recursive: true, force: true });
    throw new RootlessError('rootfs busybox', (e as Error).message);
  }
  return root;
}
