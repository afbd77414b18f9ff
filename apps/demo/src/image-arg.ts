/**
 * Image or command? The first argument of `rootless run` without `--root`, decided before
 * anything heavy is loaded: this module is imported on every run, the image and store packages
 * (image.ts, about 0.9 MB bundled with the registry client's HTTP library) only when an image is
 * involved. So references are normalised here by a small function of their own; a unit test
 * checks it against @rootless-ts/image's parser, which then does the real parsing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { homeDir } from '@rootless-ts/libc';
import { STANDARD_PATH } from './env.js';
import { RootlessError } from './errors.js';

/** The transports of podman and skopeo, besides a bare registry reference. */
export const TRANSPORT = /^(docker:\/\/|oci:|oci-archive:|docker-archive:)/;

/**
 * The name an image is stored under: a registry reference fully qualified with its default tag
 * (`alpine` → `docker.io/library/alpine:latest`), the other transports as written with absolute
 * paths (`oci:/abs/dir:tag`), which is what the sources call themselves.
 */
export function storeName(spec: string, cwd = process.cwd()): string {
  const m = /^(oci|oci-archive|docker-archive):([^:]*)(?::(.*))?$/.exec(spec);
  if (m) {
    // As the sources name themselves: the path ends at its first ':' (as in skopeo).
    if (m[2] === '') throw new RootlessError(spec, `missing the path after ${m[1]}:`);
    return `${m[1]}:${resolve(cwd, m[2]!)}${m[3] !== undefined ? `:${m[3]}` : ''}`;
  }
  const ref = spec.startsWith('docker://') ? spec.slice('docker://'.length) : spec;
  return normalizeReference(ref);
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:localhost|[A-Za-z0-9.-]*[.][A-Za-z0-9.-]*|[A-Za-z0-9.-]+:[0-9]+|\\[[0-9A-Fa-f:]+\\](?::[0-9]+)?)';
const REFERENCE = new RegExp(
  `^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha(?:256|512):[0-9a-f]{32,}))?$`,
);

/**
 * `alpine` → `docker.io/library/alpine:latest`, `localhost:5000/a` → `localhost:5000/a:latest`,
 * `x@sha256:…` → `docker.io/library/x@sha256:…` (the distribution project's rules, as podman
 * applies them); a text that is no reference throws.
 */
export function normalizeReference(ref: string): string {
  const m = REFERENCE.exec(ref);
  // A first component with a '.' or ':', or `localhost`, is a registry host and nothing else.
  const first = ref.split('/')[0]!;
  const hostLike = ref.includes('/') && (/[.:]/.test(first) || first === 'localhost');
  if (!m || hostLike !== (m[1] !== undefined) || ref.length > 255 || /^[0-9a-f]{64}$/.test(ref)) {
    throw new RootlessError(ref, 'not an image reference');
  }
  const domain = m[1] === undefined || m[1] === 'index.docker.io' ? 'docker.io' : m[1];
  let path = m[2]!;
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  const tag = m[3] ?? (m[4] === undefined ? 'latest' : undefined);
  return `${domain}/${path}${tag !== undefined ? `:${tag}` : ''}${m[4] !== undefined ? `@${m[4]}` : ''}`;
}

/** The store's root, as @rootless-ts/store's defaultStoreRoot gives it (a unit test compares). */
export function defaultStoreRoot(): string {
  const data = process.env.XDG_DATA_HOME;
  return join(data?.startsWith('/') ? data : join(homeDir(), '.local', 'share'), 'rootless-ts');
}

/**
 * Whether `rootless run`'s first positional names an image rather than a command on the host's
 * files (the behaviour without `--root` before images existed). Decided without a download:
 * 1. a transport prefix (`docker://`, `oci:`, `oci-archive:`, `docker-archive:`): an image;
 * 2. a path (`/bin/sh`, `./x`) or something that is no image reference: a command;
 * 3. an image of that name in the store: the image;
 * 4. a reference with a registry or a tag or digest (`localhost:5000/a`, `alpine:3`, `x@sha256:…`,
 *    `quay.io/x`): an image;
 * 5. a program found on the host's PATH (`sh`, `id`): the command, as before;
 * 6. anything else that parses as a reference (`alpine`): an image, pulled.
 */
export function isImageArgument(
  arg: string,
  env: { inStore(name: string): boolean; onPath(name: string): boolean },
): boolean {
  return imageArgumentKind(arg, env) !== 'command';
}

/** The same decision, telling a guess (rule 6: a bare name found nowhere) from a sure image. */
export function imageArgumentKind(
  arg: string,
  env: { inStore(name: string): boolean; onPath(name: string): boolean },
): 'image' | 'command' | 'guess' {
  if (TRANSPORT.test(arg)) return 'image';
  if (arg.startsWith('/') || arg.startsWith('.')) return 'command';
  let name: string;
  try {
    name = storeName(arg);
  } catch {
    return 'command';
  }
  if (env.inStore(name)) return 'image';
  if (/[:@/]/.test(arg)) return 'image';
  if (env.onPath(arg)) return 'command';
  return 'guess';
}

/**
 * Whether a command is found where the container will look for it: the container's PATH (the
 * standard one, or `-e PATH=…`) on the host's files, and the invoking shell's PATH.
 */
export function onContainerPath(name: string, extraPath?: string): boolean {
  return [STANDARD_PATH, extraPath, process.env.PATH].some(
    (p) => p !== undefined && onHostPath(name, p),
  );
}

/** A program of that name in one of the host's PATH directories. */
export function onHostPath(name: string, path = process.env.PATH ?? ''): boolean {
  return path.split(':').some((d) => d !== '' && existsSync(join(d, name)));
}

/** Whether the default store has an image of that name (without loading it when there is none). */
export function inDefaultStore(name: string): boolean {
  const index = join(defaultStoreRoot(), 'images.json');
  if (!existsSync(index)) return false;
  try {
    const parsed = JSON.parse(readFileSync(index, 'utf8')) as { images?: { names?: string[] }[] };
    return (parsed.images ?? []).some((i) => i.names?.includes(name));
  } catch {
    return false;
  }
}
