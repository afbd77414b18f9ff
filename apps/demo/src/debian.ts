import { existsSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rootlessIdMap } from '@rootless-ts/namespaces';
import { findMirror, hostCodename, readAptSources } from './apt-sources.js';
import { RootlessError, SETUP_FAILED } from './errors.js';
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
 * - mounting sysfs fails (it needs the network namespace's owner); debootstrap only warns;
 * - if debootstrap fails, what it installed is removed here, as root inside: those files belong
 *   to subordinate ids, which the user cannot delete from the host. Then the script exits with
 *   debootstrap's status.
 */
export const DEBOOTSTRAP_SCRIPT = `set -e
T=$1
mkdir -p "$T/dev"
for d in null zero full random urandom tty; do
  [ -e "$T/dev/$d" ] || : > "$T/dev/$d"
  mount --bind "/dev/$d" "$T/dev/$d"
done
status=0
debootstrap --variant=minbase "$2" "$T" "$3" || status=$?
[ "$status" = 0 ] && exit 0
for m in proc sys dev/pts dev/null dev/zero dev/full dev/random dev/urandom dev/tty; do
  umount -l "$T/$m" 2>/dev/null || true
done
find "$T" -xdev -mindepth 1 -delete
exit "$status"`;

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
    capAdd: [],
    capDrop: [],
    seccomp: 'default',
  };
}

/** Where `rootless rootfs debian` installs from, and into: checked, nothing created yet. */
export interface DebianPlan {
  dir: string;
  suite: string;
  mirror: string;
}

/**
 * Checks `rootless rootfs debian DIR` without touching anything: the suite (default: this
 * machine's codename), the mirror (default: the one this machine's apt sources use for it), and
 * DIR, which must be missing or empty.
 */
export function planDebian(dir: string, options: DebianOptions): DebianPlan {
  const suite = options.suite ?? hostCodename();
  if (!suite) {
    throw new RootlessError(
      'rootfs debian',
      'no VERSION_CODENAME in /etc/os-release: pass --suite',
    );
  }
  if (options.mirror !== undefined && !/^(https?|file):\/\/./.test(options.mirror)) {
    throw new RootlessError(
      '--mirror',
      `${options.mirror} is not an http://, https:// or file:// URL`,
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
  return { dir: target, suite, mirror };
}

/** The suite's Release file on the mirror, the first thing debootstrap fetches. */
export function releaseUrl(mirror: string, suite: string): string {
  return `${mirror.replace(/\/+$/, '')}/dists/${suite}/Release`;
}

/**
 * Fails with one line unless the mirror serves the suite's Release file: a wrong --mirror is
 * found before anything is created, rather than by debootstrap halfway through.
 */
export async function checkMirror(
  mirror: string,
  suite: string,
  timeoutMs = 30_000,
): Promise<void> {
  const url = releaseUrl(mirror, suite);
  const bad = (why: string) =>
    new RootlessError('--mirror', `${mirror}: no Debian ${suite} there (${url}: ${why})`);
  if (url.startsWith('file:')) {
    if (!existsSync(fileURLToPath(url))) throw bad('no such file');
    return;
  }
  let res: Response;
  try {
    res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw bad(cause?.code ?? cause?.message ?? (e as Error).message);
  }
  if (!res.ok) throw bad(`HTTP ${res.status}`);
}

/** Installing a distribution needs many ids: fails with one line for a user without them. */
export function requireSubordinateIds(): void {
  const { plan } = rootlessIdMap({ mapUid: DEFAULT_MAP_ID, mapGid: DEFAULT_MAP_ID });
  if (plan.mode === 'single') {
    throw new RootlessError(
      'rootfs debian',
      `${plan.reason.message}: installing a distribution needs subordinate ids (as root, run debootstrap directly)`,
    );
  }
}

/**
 * `rootless rootfs debian DIR`: checks everything it can first (suite, mirror, DIR, subordinate
 * ids: one line and 125, nothing created), then creates DIR and runs debootstrap as root inside.
 * If that fails, what was installed is gone (see DEBOOTSTRAP_SCRIPT), and so is DIR if this
 * made it; the status is then 125 with one line after debootstrap's own output.
 */
export async function installDebian(
  dir: string,
  options: DebianOptions,
  run: (req: RunRequest) => Promise<number>,
  say: (line: string) => void,
): Promise<number> {
  const p = planDebian(dir, options);
  requireSubordinateIds();
  await checkMirror(p.mirror, p.suite);
  const created = !existsSync(p.dir);
  mkdirSync(p.dir, { recursive: true, mode: 0o755 });
  say(`rootless: installing Debian ${p.suite} from ${p.mirror} into ${p.dir}`);
  let status: number;
  try {
    status = await run(debootstrapRequest(p.dir, p.suite, p.mirror));
  } catch (e) {
    if (created) rmdirIfEmpty(p.dir);
    throw e;
  }
  if (status === 0) return 0;
  const gone = created ? rmdirIfEmpty(p.dir) : readdirSync(p.dir).length === 0;
  // 125 is runContainer's own failure, whose one line is printed already.
  if (status !== SETUP_FAILED) {
    const what = !gone
      ? `${p.dir} keeps what could not be removed`
      : created
        ? `${p.dir} removed`
        : `${p.dir} emptied`;
    say(`rootless: rootfs debian: debootstrap failed (status ${status}); ${what}`);
  }
  return SETUP_FAILED;
}

/** Removes DIR if it is empty; false if it is not (the clean-up inside left something). */
function rmdirIfEmpty(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
