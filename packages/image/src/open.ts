import { resolve as resolvePath } from 'node:path';
import { ImageError } from './errors.js';
import { type Platform, parsePlatform } from './platform.js';
import { type ImageReference, parseReference } from './reference.js';
import type { ImageSource, SourceOptions } from './source.js';
import { DockerArchiveSource } from './sources/docker-archive.js';
import { DirectoryFiles, TarFiles } from './sources/files.js';
import { OciLayoutSource } from './sources/oci-layout.js';
import { RegistrySource } from './sources/registry.js';

export type SourceSpec =
  | { transport: 'docker'; reference: ImageReference }
  | { transport: 'oci' | 'oci-archive' | 'docker-archive'; path: string; ref?: string };

const TRANSPORTS = ['docker', 'oci', 'oci-archive', 'docker-archive'] as const;

/**
 * Splits a source spec the way skopeo and podman spell them: `docker://REF` (or a bare REF),
 * `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:REF]`. The path ends at its
 * first `:` (paths with colons cannot be named, as in skopeo). Paths are made absolute.
 */
export function parseSourceSpec(spec: string, cwd = process.cwd()): SourceSpec {
  const colon = spec.indexOf(':');
  const transport = colon > 0 ? spec.slice(0, colon) : '';
  if (!(TRANSPORTS as readonly string[]).includes(transport)) {
    return { transport: 'docker', reference: parseReference(spec) };
  }
  const rest = spec.slice(colon + 1);
  if (transport === 'docker') {
    if (!rest.startsWith('//')) {
      throw new ImageError('ERR_BAD_SOURCE', `${JSON.stringify(spec)}: write docker://REFERENCE`);
    }
    return { transport: 'docker', reference: parseReference(rest.slice(2)) };
  }
  const sep = rest.indexOf(':');
  const path = sep < 0 ? rest : rest.slice(0, sep);
  const ref = sep < 0 ? undefined : rest.slice(sep + 1);
  if (path === '')
    throw new ImageError(
      'ERR_BAD_SOURCE',
      `${JSON.stringify(spec)}: missing the path after ${transport}:`,
    );
  if (ref === '')
    throw new ImageError('ERR_BAD_SOURCE', `${JSON.stringify(spec)}: empty name after the path`);
  if (transport !== 'docker-archive' && ref !== undefined && !/^[A-Za-z0-9_.\-/:@+]+$/.test(ref)) {
    throw new ImageError(
      'ERR_BAD_SOURCE',
      `${JSON.stringify(spec)}: invalid image name ${JSON.stringify(ref)}`,
    );
  }
  const out: SourceSpec = { transport: transport as 'oci', path: resolvePath(cwd, path) };
  if (ref !== undefined) out.ref = ref;
  return out;
}

/** The display name of a parsed spec: `oci:/abs/dir:tag`, `docker.io/library/alpine:latest`. */
function displayName(s: Exclude<SourceSpec, { transport: 'docker' }>): string {
  return `${s.transport}:${s.path}${s.ref !== undefined ? `:${s.ref}` : ''}`;
}

/**
 * Opens an image source. Nothing is read until `resolve()`; the registry source reads its
 * auth file here, so a broken auth file is reported at once.
 */
export function openSource(spec: string, opts: SourceOptions = {}): ImageSource {
  const platform: Platform | undefined =
    typeof opts.platform === 'string' ? parsePlatform(opts.platform) : opts.platform;
  const s = parseSourceSpec(spec);
  switch (s.transport) {
    case 'docker':
      return new RegistrySource(s.reference, { ...opts, platform });
    case 'oci':
      return new OciLayoutSource(displayName(s), new DirectoryFiles(s.path), s.ref, platform);
    case 'oci-archive':
      return new OciLayoutSource(displayName(s), new TarFiles(s.path), s.ref, platform);
    case 'docker-archive':
      return new DockerArchiveSource(displayName(s), new TarFiles(s.path), s.ref, platform);
  }
}
