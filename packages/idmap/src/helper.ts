import { accessSync, existsSync, constants as fsc, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { syscall as SYS } from '@rootless-ts/constants';
import { rawSyscall } from '@rootless-ts/libc';

/** Which id map: user ids (uid_map, newuidmap) or group ids (gid_map, newgidmap). */
export type IdKind = 'uid' | 'gid';

/** How a helper gets the privilege to write another process's map. */
export type HelperPrivilege = 'setuid' | 'file-capabilities' | 'none';

export interface HelperInfo {
  /** `newuidmap` or `newgidmap`. */
  name: string;
  /** Absolute path of the executable found. */
  path: string;
  /** `setuid` (setuid root, as Debian ships it), `file-capabilities` (cap_setuid/cap_setgid in
   * the file, as Fedora ships it) or `none` (it will fail). */
  privilege: HelperPrivilege;
}

/** The helper's name for a kind of id. */
export function helperName(kind: IdKind): string {
  return kind === 'uid' ? 'newuidmap' : 'newgidmap';
}

/**
 * Finds newuidmap/newgidmap on a PATH (default: this process's), as a shell would: the first
 * directory holding an executable file of that name. Returns undefined when there is none.
 */
export function findHelper(kind: IdKind, path = process.env.PATH ?? ''): HelperInfo | undefined {
  const name = helperName(kind);
  for (const dir of path.split(delimiter)) {
    if (dir === '' || !dir.startsWith('/')) continue; // a relative PATH entry is a trap
    const found = inspectHelper(kind, join(dir, name));
    if (found) return found;
  }
  return undefined;
}

/** Describes a given helper executable, or undefined when it is not an executable file. */
export function inspectHelper(kind: IdKind, file: string): HelperInfo | undefined {
  try {
    // No exception for a file that is missing or in a directory we may not search: a PATH
    // search meets several, and a thrown fs error costs far more than the lookup (about 3 ms
    // of a CLI's start with a PATH of five such directories).
    if (!existsSync(file)) return undefined;
    const st = statSync(file);
    if (!st.isFile()) return undefined;
    accessSync(file, fsc.X_OK);
    return { name: helperName(kind), path: file, privilege: privilegeOf(file, st.mode, st.uid) };
  } catch {
    return undefined; // missing, or not executable by us
  }
}

function privilegeOf(file: string, mode: number, owner: number): HelperPrivilege {
  if ((mode & 0o4000) !== 0 && owner === 0) return 'setuid';
  return hasFileCapabilities(file) ? 'file-capabilities' : 'none';
}

/** True when the file carries a `security.capability` extended attribute (file capabilities). */
function hasFileCapabilities(file: string): boolean {
  // lgetxattr is not in Node's fs API.
  // size 0 asks only for the value's length: >= 0 when present, -1 (ENODATA) when absent.
  return rawSyscall(SYS.SYS_lgetxattr, file, 'security.capability', null, 0) >= 0;
}
