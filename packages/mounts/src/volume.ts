import { isAbsolute, resolve } from 'node:path';
import { MountError } from './errors.js';
import { containerPath } from './paths.js';
import type { Volume } from './types.js';

export interface ParseVolumeOptions {
  /** Base of relative host paths ('./data', '../x'). Default: process.cwd(). */
  cwd?: string;
}

function fail(spec: string, why: string): never {
  throw new MountError('volume', `invalid volume ${JSON.stringify(spec)}: ${why}`, {
    path: spec,
  });
}

/**
 * Parses `HOST:CONTAINER[:ro|rw]` (`--volume`). The mode defaults to `ro` (sharing host files is
 * opt-in to writes; docker and podman default to rw). HOST is absolute or starts with '.' (resolved against cwd); a bare name
 * would be a named volume in podman/docker, which we do not have, so it is refused rather than
 * guessed. CONTAINER is absolute and may not contain '..'.
 */
export function parseVolume(spec: string, options: ParseVolumeOptions = {}): Volume {
  const parts = spec.split(':');
  if (parts.length < 2) fail(spec, 'expected HOST:CONTAINER[:ro|rw]');
  if (parts.length > 3) fail(spec, "too many ':' (paths containing ':' are not supported)");
  const [host = '', cont = '', mode] = parts;
  if (host === '') fail(spec, 'the host path is empty');
  if (cont === '') fail(spec, 'the container path is empty');
  if (host.includes('\0') || cont.includes('\0')) fail(spec, 'contains a NUL byte');
  let source: string;
  if (isAbsolute(host)) source = resolve(host);
  else if (host.startsWith('.')) source = resolve(options.cwd ?? process.cwd(), host);
  else fail(spec, `host path ${JSON.stringify(host)} must be absolute or start with './'`);
  if (!cont.startsWith('/')) fail(spec, `container path ${JSON.stringify(cont)} must be absolute`);
  let target: string;
  try {
    target = containerPath(cont);
  } catch (e) {
    fail(spec, (e as Error).message);
  }
  if (target === '/') fail(spec, "cannot mount a volume over the container's /");
  let readonly = true;
  if (mode !== undefined) {
    if (mode === 'ro') readonly = true;
    else if (mode === 'rw') readonly = false;
    else fail(spec, `unknown mode ${JSON.stringify(mode)} (expected ro or rw)`);
  }
  return { source, target, readonly };
}
