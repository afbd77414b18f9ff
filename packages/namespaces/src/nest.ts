/**
 * Locked mounts: the program runs in a user namespace nested in the container's, with a new
 * mount namespace (and a new uts namespace, so that root inside can still set the hostname).
 * The kernel then treats every mount the setup made as one a less privileged namespace got
 * from a more privileged one: their flags (read-only, nosuid…) cannot be changed, and an
 * unmount that would uncover what lies below (a mask, /proc over the host's) is refused. A
 * proc cannot be mounted either: the pid namespace belongs to the outer user namespace.
 *
 * The inner namespace must map every id of the outer one (the final user, and every file owner)
 * as itself, and a map of more than one line, or of ids other than one's own, can only be
 * written by a process of the PARENT user namespace with CAP_SETUID there (and CAP_SETFCAP to
 * map root). So the child, root of the outer namespace, does not unshare: it clones a process
 * into the new namespaces that only waits (libc's clonePaused: C calls, no JavaScript, since
 * without CLONE_VM the copy has no V8 heap), writes that process's maps, joins its namespaces
 * (the child owns them, so it may), then kills and reaps it. The held process also exits by
 * itself when the child dies: a child SIGKILLed half-way leaves nothing behind.
 */
import { readFileSync } from 'node:fs';
import {
  capability as CAP,
  clone as CL,
  errno as E,
  fcntl as F,
  fsMagic,
  prctl as PR,
  signal,
} from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { type ChildContext, switchBack } from './child.js';

/** The outer namespace's ranges as identity lines of the inner map ("first first count"). */
export function identityMap(outerMap: string): string {
  const lines = outerMap
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3)
    .map(([inside, , count]) => `${inside} ${inside} ${count}`);
  return `${lines.join('\n')}\n`;
}

/** Whether the program runs in a nested user namespace (the setup's mounts then locked). */
export function wantsLockedMounts(c: ChildContext): boolean {
  return (
    c.cfg.lockMounts === true &&
    c.mapped &&
    c.join === undefined &&
    c.cfg.namespaces.includes('user') &&
    c.cfg.namespaces.includes('mnt')
  );
}

/**
 * The row before the setup: holds the host's procfs (still the one at /proc), through which
 * lock-mounts finds the processes and their maps whatever the setup does to /proc (a pivot_root
 * into a root without one, an image's own directory there). Close-on-exec, and closed by
 * lock-mounts.
 */
export function holdHostProc(c: ChildContext): void {
  const fd = libc.open('/proc', F.O_PATH | F.O_DIRECTORY | F.O_CLOEXEC);
  if (libc.fstatfs(fd).type !== fsMagic.PROC_SUPER_MAGIC) {
    libc.close(fd);
    throw new libc.RootlessTsError('/proc is not a procfs', {
      code: 'ERR_NOT_PROCFS',
      path: '/proc',
    });
  }
  c.hostProc = fd;
}

function closeHostProc(c: ChildContext): void {
  if (c.hostProc === undefined) return;
  libc.close(c.hostProc);
  delete c.hostProc;
}

/** Opens `rel` below the held procfs (host pids). */
function procOpen(c: ChildContext, rel: string, flags: number): number {
  try {
    return libc.openat(c.hostProc!, rel, flags | F.O_CLOEXEC);
  } catch (e) {
    throw libc.wrapError(e, `opening /proc/${rel}`, { path: `/proc/${rel}` });
  }
}

function procRead(c: ChildContext, rel: string): string {
  const fd = procOpen(c, rel, F.O_RDONLY);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    libc.close(fd);
  }
}

/** Writes one id map in a single write (the kernel takes only one). */
function writeMap(c: ChildContext, rel: string, map: string): void {
  const fd = procOpen(c, rel, F.O_WRONLY);
  try {
    libc.write(fd, map);
  } catch (e) {
    throw libc.wrapError(e, `writing /proc/${rel}`, { path: `/proc/${rel}` });
  } finally {
    libc.close(fd);
  }
}

/** The host pid of the held process: the child's only child. */
function heldHostPid(c: ChildContext): number {
  const rel = `${c.hostPid}/task/${c.hostPid}/children`;
  const pids = procRead(c, rel).trim().split(/\s+/).filter(Boolean).map(Number);
  if (pids.length !== 1) {
    throw new libc.RootlessTsError(`expected one child in /proc/${rel}, found ${pids.length}`, {
      code: 'ERR_NEST_CHILD',
      path: `/proc/${rel}`,
    });
  }
  return pids[0]!;
}

/**
 * Creates the nested namespaces and joins them. Runs as root of the outer namespace (with its
 * capabilities); on failure the child is back in its own mount and uts namespaces, so the
 * setup's undos still work.
 */
export function enterNested(c: ChildContext, maps: { uid: string; gid: string }): void {
  const kinds: Array<{ kind: string; flag: number }> = [{ kind: 'mnt', flag: CL.CLONE_NEWNS }];
  if (c.cfg.namespaces.includes('uts')) kinds.push({ kind: 'uts', flag: CL.CLONE_NEWUTS });
  const flags = kinds.reduce((f, k) => f | k.flag, CL.CLONE_NEWUSER | signal.SIGCHLD);
  // To come back to when joining fails half-way.
  const own = kinds.map((k) => ({
    ...k,
    fd: procOpen(c, `${c.hostPid}/ns/${k.kind}`, F.O_RDONLY),
  }));
  // The held process's /proc files belong to its euid only while its memory is dumpable; else
  // to root of the namespace the memory was made in (the host's: the launcher's), which the
  // child may not write to. Its memory is a copy of ours: dumpable just for the clone (nothing
  // of the container runs yet that could use it), then as it was.
  const dumpable = libc.prctl(PR.PR_GET_DUMPABLE);
  libc.prctl(PR.PR_SET_DUMPABLE, 1);
  let held: libc.PausedChild;
  try {
    held = libc.clonePaused(flags);
  } finally {
    libc.prctl(PR.PR_SET_DUMPABLE, dumpable);
  }
  const joined: typeof own = [];
  try {
    const pid = heldHostPid(c);
    // setgroups stays as the outer namespace has it (deny under the single mapping): a new
    // user namespace inherits it.
    writeMap(c, `${pid}/uid_map`, maps.uid);
    writeMap(c, `${pid}/gid_map`, maps.gid);
    const fds = [...kinds, { kind: 'user', flag: CL.CLONE_NEWUSER }].map((k) => ({
      ...k,
      fd: procOpen(c, `${pid}/ns/${k.kind}`, F.O_RDONLY),
    }));
    try {
      // The mount and uts namespaces first, while root of the outer namespace still has the
      // rights to come back; the user namespace last.
      for (const ns of fds) {
        try {
          libc.setns(ns.fd, ns.flag);
        } catch (e) {
          throw libc.wrapError(e, `joining the nested ${ns.kind} namespace`);
        }
        const back = own.find((o) => o.kind === ns.kind);
        if (back) joined.push(back);
      }
    } finally {
      for (const ns of fds) libc.close(ns.fd);
    }
    joined.length = 0;
  } catch (e) {
    for (const ns of joined) libc.setns(ns.fd, ns.flag);
    throw e;
  } finally {
    try {
      libc.kill(held.pid, signal.SIGKILL);
    } catch {
      // Already gone: reaped below all the same.
    }
    libc.waitpid(held.pid, 0);
    libc.close(held.guard);
    for (const o of own) libc.close(o.fd);
  }
}

/** The capability state a setup hook may have narrowed, which joining a user namespace resets. */
interface CapState {
  sets: libc.CapSets;
  bounding: bigint;
  ambient: bigint;
  securebits: number;
}

/** The highest capability this kernel knows (the bounding set has no bit above it). */
function lastCap(c: ChildContext): number {
  return Number(procRead(c, 'sys/kernel/cap_last_cap').trim());
}

/** Read through the held procfs: one read, rather than a prctl per capability and set. */
function readCaps(c: ChildContext): CapState {
  const status = procRead(c, `${c.hostPid}/status`);
  const mask = (field: string) => {
    const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1];
    if (hex === undefined) {
      throw new libc.RootlessTsError(`no ${field} in /proc/${c.hostPid}/status`, {
        code: 'ERR_NO_CAPS',
        path: `/proc/${c.hostPid}/status`,
      });
    }
    return BigInt(`0x${hex}`);
  };
  return {
    sets: libc.capget(),
    bounding: mask('CapBnd'),
    ambient: mask('CapAmb'),
    securebits: libc.prctl(PR.PR_GET_SECUREBITS),
  };
}

/**
 * The capabilities needed to nest: write the maps (SETUID, SETGID; SETFCAP to map root), join
 * the mount namespace (SYS_ADMIN, SYS_CHROOT).
 */
const NEEDED = ['CAP_SETUID', 'CAP_SETGID', 'CAP_SETFCAP', 'CAP_SYS_ADMIN', 'CAP_SYS_CHROOT'];

function checkPermitted(permitted: bigint): void {
  const missing = NEEDED.filter(
    (name) => (permitted & (1n << BigInt((CAP as Record<string, number>)[name]!))) === 0n,
  );
  if (missing.length > 0) {
    throw new libc.RootlessTsError(
      `locking the mounts needs ${missing.join(', ')}, which a setup hook dropped: narrow the capabilities after the setup, or spawn with lockMounts: false`,
      { code: 'EPERM', errno: E.EPERM },
    );
  }
}

/**
 * The row: back to root of the outer namespace (switch-user kept it as the saved ids), into the
 * nested namespaces, then the final ids again with root (of the inner namespace now) kept as the
 * saved ids, for lock-user to give up. Runs after every check that can fail for the program's
 * own reasons (its directory, the program itself), while the setup's undos can still run: a
 * locked mount point can no longer be unmounted or removed.
 *
 * Joining a user namespace gives every capability and resets the bounding, inheritable and
 * ambient sets and the securebits: what a setup hook narrowed is narrowed again, exactly as it
 * was before this row, so that the nesting never widens a capability.
 */
export function lockMounts(c: ChildContext): void {
  const before = readCaps(c);
  const final = { uid: libc.getuid(), gid: libc.getgid() };
  switchBack(c);
  checkPermitted(libc.capget().permitted);
  const root = { uid: libc.getuid(), gid: libc.getgid() };
  const uidMap = procRead(c, `${c.hostPid}/uid_map`);
  const gidMap = procRead(c, `${c.hostPid}/gid_map`);
  const last = lastCap(c);
  enterNested(c, { uid: identityMap(uidMap), gid: identityMap(gidMap) });
  closeHostProc(c);
  for (let cap = 0; cap <= last; cap++) {
    if ((before.bounding & (1n << BigInt(cap))) === 0n) libc.prctl(PR.PR_CAPBSET_DROP, cap);
  }
  libc.prctl(PR.PR_SET_SECUREBITS, before.securebits);
  libc.setresgid(final.gid, final.gid, root.gid);
  libc.setresuid(final.uid, final.uid, root.uid);
  // Joining a mount namespace moves the working directory to its root: the chdir row's again,
  // by path (a descriptor kept from before would point into the outer namespace's mounts), as
  // the final user, which it succeeded as a moment ago.
  libc.chdir(c.cfg.cwd);
  libc.capset(before.sets);
  for (let cap = 0; cap <= last; cap++) {
    if ((before.ambient & (1n << BigInt(cap))) !== 0n)
      libc.prctl(PR.PR_CAP_AMBIENT, PR.PR_CAP_AMBIENT_RAISE, cap);
  }
  c.keepDeathSignal();
}
