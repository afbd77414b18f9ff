/**
 * Facts about this system that node:os gives too, read without loading node:os: its first load
 * took 0.25 MiB of a `rootless run`'s peak memory (its code, and the C++ code behind it, are read
 * from the node binary) for a host name and a kernel release. Each reads what node:os itself
 * reads (the kernel's uname, as /proc shows it; $HOME; /etc/passwd) and asks node:os only where
 * that is missing, so the answers are the same.
 */
import { readFileSync } from 'node:fs';

type NodeOs = typeof import('node:os');

function nodeOs(): NodeOs {
  return process.getBuiltinModule('node:os') as NodeOs;
}

/** The first line of a /proc file, or undefined when it cannot be read (no /proc). */
function procLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1').split('\n', 1)[0];
  } catch {
    return undefined;
  }
}

/** The kernel's release (`uname -r`, `os.release()`). */
export function kernelRelease(): string {
  return procLine('/proc/sys/kernel/osrelease') ?? nodeOs().release();
}

/** This host's name in the caller's UTS namespace (`uname -n`, `os.hostname()`). */
export function hostName(): string {
  return procLine('/proc/sys/kernel/hostname') ?? nodeOs().hostname();
}

/** The caller's home directory: $HOME when set and not empty, as `os.homedir()` decides. */
export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME;
  return home !== undefined && home !== '' ? home : nodeOs().homedir();
}

/**
 * The directory for temporary files, by `os.tmpdir()`'s rule: $TMPDIR, $TMP or $TEMP, the first
 * set, else /tmp; without a trailing slash.
 */
export function tempDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.TMPDIR || env.TMP || env.TEMP || '/tmp';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

/**
 * The name of the user `uid` in a passwd file's text (`name:x:uid:gid:gecos:home:shell` lines;
 * the first that matches, as glibc's "files" source reads them), or undefined.
 */
export function userNameInPasswd(passwd: string, uid: number): string | undefined {
  const id = String(uid);
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 7 && fields[2] === id && /^[^#+-]/.test(line)) return fields[0];
  }
  return undefined;
}

/**
 * The name of the user `uid` (what `os.userInfo().username` says for the caller): from
 * /etc/passwd, else from node:os (a user known only to another source of the system's name
 * service, LDAP say), else undefined.
 */
export function userName(uid: number, passwdFile = '/etc/passwd'): string | undefined {
  let passwd: string | undefined;
  try {
    passwd = readFileSync(passwdFile, 'utf8');
  } catch {
    passwd = undefined;
  }
  const name = passwd === undefined ? undefined : userNameInPasswd(passwd, uid);
  if (name !== undefined) return name;
  try {
    const info = nodeOs().userInfo();
    return info.uid === uid ? info.username : undefined;
  } catch {
    return undefined;
  }
}
