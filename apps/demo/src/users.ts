import { fstatSync, readFileSync } from 'node:fs';
import { fcntl as F, resolve as R } from '@rootless-ts/constants';
import { close, openat2 } from '@rootless-ts/libc';
import { RootlessError } from './errors.js';
import type { UserSpec } from './options.js';

/** A line of /etc/passwd. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** A line of /etc/group. */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The container's account databases (its own /etc/passwd and /etc/group, not the host's). */
export interface UserDb {
  passwd: PasswdEntry[];
  group: GroupEntry[];
  /** Where they were read from, for messages ("/srv/alpine/etc/passwd"). */
  passwdPath: string;
  groupPath: string;
}

/** Who the command runs as inside. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups: the primary one, then those of the container's /etc/group listing the user (host groups never leak in). */
  groups: number[];
  /** From the passwd entry; `/` when the user has none. */
  home: string;
  name?: string;
}

const isId = (s: string) => /^\d+$/.test(s);

/** Parses passwd(5); malformed lines (and NIS `+`/`-` lines) are skipped, as glibc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[0] === '' || !isId(f[2]!) || !isId(f[3]!)) continue;
    out.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! });
  }
  return out;
}

/** Parses group(5). */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || f[0] === '' || !isId(f[2]!)) continue;
    out.push({
      name: f[0]!,
      gid: Number(f[2]),
      members: f[3]!.split(',').filter((m) => m !== ''),
    });
  }
  return out;
}

/**
 * Resolves `--user USER[:GROUP]` in the container's databases (pure). A name must exist; a
 * number need not (docker's rule: an id without an entry runs with gid 0, home `/`). Without a
 * spec, the invoking user's mapped id (`defaults`), with its entry's home and groups if it has one.
 */
export function resolveUser(
  spec: UserSpec | undefined,
  db: UserDb,
  defaults: { uid: number; gid: number },
): ResolvedUser {
  let entry: PasswdEntry | undefined;
  let uid: number;
  let gid: number;
  if (spec === undefined) {
    uid = defaults.uid;
    entry = db.passwd.find((p) => p.uid === uid);
    gid = entry?.gid ?? defaults.gid;
  } else if (isId(spec.user)) {
    uid = Number(spec.user);
    entry = db.passwd.find((p) => p.uid === uid);
    gid = entry?.gid ?? 0;
  } else {
    entry = db.passwd.find((p) => p.name === spec.user);
    if (!entry) {
      throw new RootlessError('--user', `no user "${spec.user}" in ${db.passwdPath}`);
    }
    uid = entry.uid;
    gid = entry.gid;
  }
  if (spec?.group !== undefined) {
    if (isId(spec.group)) gid = Number(spec.group);
    else {
      const g = db.group.find((x) => x.name === spec.group);
      if (!g) throw new RootlessError('--user', `no group "${spec.group}" in ${db.groupPath}`);
      gid = g.gid;
    }
  }
  // As initgroups(3) does at login: the primary group, then the groups listing the user.
  const groups: number[] = [gid];
  if (entry) {
    for (const g of db.group) {
      if (g.members.includes(entry.name) && !groups.includes(g.gid)) {
        groups.push(g.gid);
      }
    }
  }
  const out: ResolvedUser = { uid, gid, groups, home: entry?.home || '/' };
  if (entry) out.name = entry.name;
  return out;
}

const MAX_DB_SIZE = 16 * 1024 * 1024;

/**
 * Reads a file of the root filesystem without ever leaving it: openat2 with RESOLVE_IN_ROOT
 * resolves absolute symlinks and `..` inside `root`, as they will be after pivot_root, and
 * refuses magic links. Only regular files are read (a FIFO would block). Undefined when missing.
 */
export function readInRoot(root: string, path: string): string | undefined {
  let rootFd: number;
  try {
    rootFd = openat2(F.AT_FDCWD, root, {
      flags: F.O_PATH | F.O_DIRECTORY | F.O_CLOEXEC,
      resolve: 0,
    });
  } catch (e) {
    throw new RootlessError('--root', `cannot open ${root}: ${(e as NodeJS.ErrnoException).code}`);
  }
  let fd: number | undefined;
  try {
    fd = openat2(rootFd, path.replace(/^\/+/, ''), {
      flags: F.O_RDONLY | F.O_NONBLOCK | F.O_CLOEXEC | F.O_NOCTTY,
      resolve: R.RESOLVE_IN_ROOT | R.RESOLVE_NO_MAGICLINKS,
    });
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_DB_SIZE) return undefined;
    return readFileSync(fd, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw new RootlessError(`reading ${root}${path}`, { cause: e });
  } finally {
    if (fd !== undefined) close(fd);
    close(rootFd);
  }
}

/** Whether `path` is a directory inside `root` (resolved as readInRoot does). */
export function isDirInRoot(root: string, path: string): boolean {
  let rootFd: number | undefined;
  let fd: number | undefined;
  try {
    rootFd = openat2(F.AT_FDCWD, root, {
      flags: F.O_PATH | F.O_DIRECTORY | F.O_CLOEXEC,
      resolve: 0,
    });
    fd = openat2(rootFd, path.replace(/^\/+/, '') || '.', {
      flags: F.O_PATH | F.O_DIRECTORY | F.O_CLOEXEC,
      resolve: R.RESOLVE_IN_ROOT | R.RESOLVE_NO_MAGICLINKS,
    });
    return true;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) close(fd);
    if (rootFd !== undefined) close(rootFd);
  }
}

/** The container's /etc/passwd and /etc/group (the host's when there is no --root). */
export function readUserDb(root: string | undefined): UserDb {
  const base = root ?? '/';
  const passwdPath = `${root ?? ''}/etc/passwd`;
  const groupPath = `${root ?? ''}/etc/group`;
  return {
    passwd: parsePasswd(readInRoot(base, '/etc/passwd') ?? ''),
    group: parseGroup(readInRoot(base, '/etc/group') ?? ''),
    passwdPath,
    groupPath,
  };
}
