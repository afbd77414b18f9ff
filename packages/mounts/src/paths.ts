import { MountError } from './errors.js';

/**
 * Normalizes a path inside the container: absolute, no empty or '.' components, no trailing
 * slash. '..' is refused rather than resolved: a target is resolved by the kernel inside the
 * root anyway (RESOLVE_IN_ROOT), but a spec that needs '..' is a mistake worth reporting, as
 * podman and runc users would see the mount land somewhere they did not write.
 */
export function containerPath(path: string, what = 'container path'): string {
  if (path.length === 0) throw new MountError('plan', `${what} is empty`, { path });
  if (path.includes('\0')) throw new MountError('plan', `${what} contains a NUL byte`, { path });
  if (!path.startsWith('/')) {
    throw new MountError('plan', `${what} ${JSON.stringify(path)} must be absolute`, { path });
  }
  const parts = pathComponents(path);
  if (parts.includes('..')) {
    throw new MountError('plan', `${what} ${JSON.stringify(path)} must not contain '..'`, {
      path,
    });
  }
  return `/${parts.join('/')}`;
}

/** The non-empty, non-'.' components of a path. */
export function pathComponents(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/** Number of components, used to mount parents before children. */
export function pathDepth(path: string): number {
  return pathComponents(path).length;
}

/** Splits a normalized absolute path into its parent and last component ('/' has none). */
export function splitParent(path: string): { parent: string; name: string } | undefined {
  const parts = pathComponents(path);
  const name = parts.pop();
  if (name === undefined) return undefined;
  return { parent: `/${parts.join('/')}`, name };
}
