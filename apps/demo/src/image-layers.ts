import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { isDirInRoot, parseGroup, parsePasswd, readInRoot, type UserDb } from './users.js';

/*
 * Before the container starts, the planner needs the image's /etc/passwd and /etc/group (the
 * user) and whether a path is a directory (the working directory). With overlay, the merged
 * view exists only inside the container's mount namespace, so the layers are read directly,
 * topmost first, as overlayfs would: a whiteout (character device 0:0) on the path or one of its
 * parents hides everything below it. Symlinks resolve within the layer that holds them (the
 * files read here are plain files in practice). Opaque directories are not looked at: a file
 * they hide could only be found if no upper layer has the same path.
 */

function whiteout(layer: string, path: string): boolean {
  const parts = path.split('/').filter((p) => p !== '');
  for (let i = 1; i <= parts.length; i++) {
    try {
      const st = lstatSync(join(layer, ...parts.slice(0, i)));
      if (st.isCharacterDevice() && st.rdev === 0) return true;
    } catch {
      return false;
    }
  }
  return false;
}

/** Reads `path` from the merged view of `layers` (lowest first); undefined when absent. */
export function readInLayers(layers: readonly string[], path: string): string | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (whiteout(layer, path)) return undefined;
    const text = readInRoot(layer, path);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** Whether `path` is a directory in the merged view of `layers` (lowest first). */
export function isDirInLayers(layers: readonly string[], path: string): boolean {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (whiteout(layer, path)) return false;
    if (isDirInRoot(layer, path)) return true;
  }
  return false;
}

/** The image's users and groups, as readUserDb gives them for a root directory. */
export function readUserDbInLayers(layers: readonly string[]): UserDb {
  return {
    passwd: parsePasswd(readInLayers(layers, '/etc/passwd') ?? ''),
    group: parseGroup(readInLayers(layers, '/etc/group') ?? ''),
    passwdPath: '/etc/passwd (image)',
    groupPath: '/etc/group (image)',
  };
}
