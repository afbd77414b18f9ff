import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rootlessIdMap } from '@rootless-ts/namespaces';
import { findMirror, hostCodename, readAptSources } from './apt-sources.js';
import { RootlessError, SETUP_FAILED } from './errors.js';
import { DEFAULT_MAP_ID, type RunRequest } from './options.js';

/** The device nodes debootstrap and maintainer scripts need, bound from the host into DIR/dev. */
export const DEBIAN_DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

/**
 * The script run as root inside the container (host files, subordinate ids mapped) to install
 * Debian with debootstrap, rootless. The mount plan gives it what a user namespace cannot make:
 * - the device nodes (DEBIAN_DEVICES), bound from the host onto DIR/dev (a user namespace
 *   cannot mknod; `container=lxc` in the environment makes debootstrap skip its mknod check of
 *   the target and tolerate failing device nodes);
 * - a masked proc of the container's pid namespace at DIR/proc: debootstrap finds it populated
 *   and mounts none (it could not: the mounts are locked, and the pid namespace is not root
 *   inside's own); its unmounts of it fail, which it ignores;
 * - mounting sysfs fails (it needs the network namespace's owner); debootstrap only warns.
 * On success DIR/dev goes to root inside. If debootstrap fails, what it installed is removed
 * here, as root inside: those files belong to subordinate ids, which the user cannot delete
 * from the host; the mount points (made by the user beforehand) are all that is left, and
 * installDebian removes them. Then the script exits with debootstrap's status.
 */
export const DEBOOTSTRAP_SCRIPT = `T=$1
status=0
debootstrap --variant=minbase "$2" "$T" "$3" || status=$?
if [ "$status" = 0 ]; then chown 0:0 "$T/dev"; exit 0; fi
find "$T" -xdev -mindepth 1 -delete 2>/dev/null
exit "$status"`;

export interface DebianOptions {
  suite?: string;
  mirror?: string;
}

/**
 * The `rootless run` request that installs Debian into `dir` (pure, given suite and mirror).
 * `dir` must have no symlink in it (realpath): the plan resolves host targets without following any.
 */
export function debootstrapRequest(dir: string, suite: string, mirror: string): RunRequest {
  return {
    command: ['sh', '-c', DEBOOTSTRAP_SCRIPT, 'debootstrap', dir, suite, mirror],
    user: { user: '0', group: '0' },
    mapUid: DEFAULT_MAP_ID,
    mapGid: DEFAULT_MAP_ID,
    procMounts: [join(dir, 'proc')],
    volumes: DEBIAN_DEVICES.map((d) => ({
      source: `/dev/${d}`,
      target: join(dir, 'dev', d),
      readonly: false,
    })),
    // HOME=/: root's home here is the host's /root, which root inside cannot read (dpkg warns).
    env: [
      ['container', 'lxc'],
      ['HOME', '/'],
    ],
    tty: false,
    // The installer is the host's own tool fetching from the host's mirror, proxy or cache
    // (possibly on the host's loopback, which a private network cannot reach): the host's network.
    network: { mode: 'host', ports: [], dns: [], addHosts: [] },
    capAdd: [],
    capDrop: [],
    seccomp: 'default',
  };
}

/**
 * The mount points of the request, made by the user before the container starts: made by the
 * plan, as root inside, they would belong to a subordinate id, and a failed install (whose
 * clean-up inside cannot remove a locked mount point) would leave them where the user cannot
 * delete them.
 */
function makeMountPoints(dir: string): void {
  mkdirSync(join(dir, 'proc'), { mode: 0o555 });
  mkdirSync(join(dir, 'dev'), { mode: 0o755 });
  for (const d of DEBIAN_DEVICES) writeFileSync(join(dir, 'dev', d), '', { mode: 0o644 });
}

/** Removes the mount points makeMountPoints made (only while they are what it made). */
function removeMountPoints(dir: string): void {
  const quietly = (f: () => void) => {
    try {
      f();
    } catch {
      // Something else is there, or already gone: left for rmdirIfEmpty's verdict.
    }
  };
  for (const d of DEBIAN_DEVICES) {
    const path = join(dir, 'dev', d);
    quietly(() => {
      const st = lstatSync(path);
      if (st.isFile() && st.size === 0) unlinkSync(path);
    });
  }
  quietly(() => rmdirSync(join(dir, 'dev')));
  quietly(() => rmdirSync(join(dir, 'proc')));
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
  const real = realpathSync(p.dir);
  say(`rootless: installing Debian ${p.suite} from ${p.mirror} into ${p.dir}`);
  let status: number;
  try {
    makeMountPoints(real);
    status = await run(debootstrapRequest(real, p.suite, p.mirror));
  } catch (e) {
    removeMountPoints(real);
    if (created) rmdirIfEmpty(p.dir);
    throw e;
  }
  if (status === 0) return 0;
  removeMountPoints(real);
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
