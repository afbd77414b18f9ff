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
 * into the new namespaces that runs the C library's pause() (no JavaScript: without CLONE_VM,
 * the copy has no V8 heap), writes that process's maps, joins its namespaces (the child owns
 * them, so it may), then kills and reaps it.
 */
import { readFileSync } from 'node:fs';
import { clone as CL, fcntl as F, fsMagic, prctl as PR, signal } from '@rootless-ts/constants';
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
 * Opens a file of the procfs at /proc, refusing anything else (the hooks may have left an
 * image's own directory there): a procfs file, or a namespace (nsfs) that a proc link names.
 */
function openProc(path: string, flags: number, magic = fsMagic.PROC_SUPER_MAGIC): number {
  const fd = libc.open(path, flags | F.O_CLOEXEC);
  try {
    if (libc.fstatfs(fd).type !== magic) {
      throw new libc.RootlessTsError(`${path} is not what a procfs has there`, {
        code: 'ERR_NOT_PROCFS',
        path,
      });
    }
    return fd;
  } catch (e) {
    libc.close(fd);
    throw e;
  }
}

/** Writes one id map in a single write (the kernel takes only one). */
function writeMap(path: string, map: string): void {
  const fd = openProc(path, F.O_WRONLY);
  try {
    libc.write(fd, map);
  } catch (e) {
    throw libc.wrapError(e, `writing ${path}`, { path });
  } finally {
    libc.close(fd);
  }
}

/**
 * The pid of the held process as the procfs mounted at /proc numbers it: the container's own
 * proc after the setup, or still the host's one without such a hook. The child has no other child.
 */
function heldPid(): number {
  const fd = openProc('/proc/thread-self/children', F.O_RDONLY);
  try {
    const pids = readFileSync(fd, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    if (pids.length !== 1) {
      throw new libc.RootlessTsError(
        `expected one child in /proc/thread-self/children, found ${pids.length}`,
        { code: 'ERR_NEST_CHILD', path: '/proc/thread-self/children' },
      );
    }
    return pids[0]!;
  } finally {
    libc.close(fd);
  }
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
    fd: libc.open(`/proc/thread-self/ns/${k.kind}`, F.O_RDONLY | F.O_CLOEXEC),
  }));
  // The held process's /proc files belong to its euid only while its memory is dumpable; else
  // to root of the namespace the memory was made in (the host's: the launcher's), which the
  // child may not write to. Its memory is a copy of ours: dumpable just for the clone (nothing
  // of the container runs yet that could use it), then as it was.
  const dumpable = libc.prctl(PR.PR_GET_DUMPABLE);
  libc.prctl(PR.PR_SET_DUMPABLE, 1);
  let held: number;
  try {
    held = libc.clonePaused(flags);
  } finally {
    libc.prctl(PR.PR_SET_DUMPABLE, dumpable);
  }
  const joined: typeof own = [];
  try {
    const pid = heldPid();
    // setgroups stays as the outer namespace has it (deny under the single mapping): a new
    // user namespace inherits it.
    writeMap(`/proc/${pid}/uid_map`, maps.uid);
    writeMap(`/proc/${pid}/gid_map`, maps.gid);
    const fds = [...kinds, { kind: 'user', flag: CL.CLONE_NEWUSER }].map((k) => ({
      ...k,
      fd: openProc(`/proc/${pid}/ns/${k.kind}`, F.O_RDONLY, fsMagic.NSFS_MAGIC),
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
      libc.kill(held, signal.SIGKILL);
    } catch {
      // Already gone: reaped below all the same.
    }
    libc.waitpid(held, 0);
    for (const o of own) libc.close(o.fd);
  }
}

/**
 * The row: back to root of the outer namespace (switch-user kept it as the saved ids), into the
 * nested namespaces, then the final ids again with root (of the inner namespace now) kept as the
 * saved ids, for lock-user to give up. Runs after every check that can fail for the program's
 * own reasons (its directory, the program itself) and after the setup's undos could still run:
 * a locked mount point can no longer be unmounted or removed.
 */
export function lockMounts(c: ChildContext): void {
  const ids = c.ids;
  if (!ids?.uidMap || !ids.gidMap) {
    throw new libc.RootlessTsError('the id maps were not read before the setup', {
      code: 'ERR_NO_ID_MAPS',
    });
  }
  const final = { uid: libc.getuid(), gid: libc.getgid() };
  switchBack(c);
  const root = { uid: libc.getuid(), gid: libc.getgid() };
  enterNested(c, { uid: identityMap(ids.uidMap), gid: identityMap(ids.gidMap) });
  libc.setresgid(final.gid, final.gid, root.gid);
  libc.setresuid(final.uid, final.uid, root.uid);
  c.keepDeathSignal();
}
