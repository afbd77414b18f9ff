import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { findMirror, hostCodename, readAptSources } from './apt-sources.js';
import { RootlessError } from './errors.js';
import { DEFAULT_MAP_ID, type RunRequest } from './options.js';

/**
 * The script run as root inside the container (host files, subordinate ids mapped) to install
 * Debian with debootstrap, rootless:
 * - `container=lxc` (in the environment) makes debootstrap skip its mknod check of the target
 *   (`check_sane_mount`) and tolerate failing device nodes: a user namespace cannot mknod;
 * - the device nodes it would create are bind-mounted from the host first, onto empty files, in
 *   the container's private mount namespace: debootstrap sees them and creates none, maintainer
 *   scripts get a real /dev/null, and the binds vanish with the container (the empty files stay,
 *   as mount points; `rootless run --root` mounts its own /dev over them anyway);
 * - mounting sysfs fails (it needs the network namespace's owner); debootstrap only warns.
 */
export const DEBOOTSTRAP_SCRIPT = `set -e
T=$1
mkdir -p "$T/dev"
for d in null zero full random urandom tty; do
  [ -e "$T/dev/$d" ] || : > "$T/dev/$d"
  mount --bind "/dev/$d" "$T/dev/$d"
done
exec debootstrap --variant=minbase "$2" "$T" "$3"`;

export interface DebianOptions {
  suite?: string;
  mirror?: string;
}

/** The `rootless run` request that installs Debian into `dir` (pure, given suite and mirror). */
export function debootstrapRequest(dir: string, suite: string, mirror: string): RunRequest {
  return {
    command: ['sh', '-c', DEBOOTSTRAP_SCRIPT, 'debootstrap', dir, suite, mirror],
    user: { user: '0', group: '0' },
    mapUid: DEFAULT_MAP_ID,
    mapGid: DEFAULT_MAP_ID,
    volumes: [],
    // HOME=/: root's home here is the host's /root, which root inside cannot read (dpkg warns).
    env: [
      ['container', 'lxc'],
      ['HOME', '/'],
    ],
    tty: false,
    // The installer is the host's own tool fetching from the host's mirror, proxy or cache
    // (possibly on the host's loopback, which a private network cannot reach): the host's network.
    network: { mode: 'host', ports: [], dns: [], addHosts: [] },
  };
}

/**
 * Checks and prepares `rootless rootfs debian DIR`: the suite (default: this machine's
 * codename), the mirror (default: the one this machine's apt sources use for it), and DIR,
 * created empty by the invoking user.
 */
export function prepareDebian(
  dir: string,
  options: DebianOptions,
): { dir: string; suite: string; mirror: string } {
  const suite = options.suite ?? hostCodename();
  if (!suite) {
    throw new RootlessError(
      'rootfs debian',
      'no VERSION_CODENAME in /etc/os-release: pass --suite',
    );
  }
  const mirror = options.mirror ?? findMirror(suite, readAptSources());
  if (!mirror) {
    throw new RootlessError(
      'rootfs debian',
      `no apt source for ${suite} (main) in /etc/apt/sources.list{,.d}: pass --mirror`,
    );
  }
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new RootlessError('rootfs debian', `${target} exists and is not empty`);
  }
  mkdirSync(target, { recursive: true, mode: 0o755 });
  return { dir: target, suite, mirror };
}
