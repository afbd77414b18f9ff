import { rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** One removal the invoking user may do on a container's directory without any privilege. */
export interface RemovalStep {
  op: 'rmdir' | 'unlink';
  path: string;
}

/**
 * What a container left untouched, undone by the user alone: the writable layer of a container
 * that wrote nothing is a few empty directories (overlay leaves an empty `work/work` of mode 0
 * owned by root inside; an empty directory goes with write access to its parent, whoever owns
 * it) and the record, removed last. Only rmdir and unlink, neither of which follows a symlink
 * in the last component, so a container that planted a link where a directory was expected
 * makes a step fail (ENOTDIR) instead of reaching anything outside: the caller then removes the
 * directory as root in the user namespace, as for any directory that is not empty.
 */
export function untouchedRemovalSteps(dir: string): RemovalStep[] {
  return [
    { op: 'rmdir', path: join(dir, 'upper') },
    { op: 'rmdir', path: join(dir, 'work', 'work') },
    { op: 'rmdir', path: join(dir, 'work', 'index') },
    { op: 'rmdir', path: join(dir, 'work') },
    { op: 'rmdir', path: join(dir, 'merged') },
    { op: 'unlink', path: join(dir, 'container.json') },
    { op: 'rmdir', path: dir },
  ];
}

/**
 * Applies the steps; true when the directory is gone. A step whose path is already absent is
 * skipped; any other failure (ENOTEMPTY: the container wrote something; EACCES, ENOTDIR) stops
 * and gives false, leaving the rest to a removal in the user namespace.
 */
export function removeAsUser(steps: readonly RemovalStep[]): boolean {
  for (const s of steps) {
    try {
      if (s.op === 'rmdir') rmdirSync(s.path);
      else unlinkSync(s.path);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') return false;
    }
  }
  return true;
}
