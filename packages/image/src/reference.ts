import { ImageError } from './errors.js';

/**
 * Image references as docker and podman read them, following the grammar of the CNCF
 * distribution project's `reference` package:
 *
 *   reference      := name [ ":" tag ] [ "@" digest ]
 *   name           := [domain "/"] path-component ["/" path-component]*
 *   domain         := host [":" port]    host := domain-name | IPv4 | "[" IPv6 "]"
 *   path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := [_.] | "__" | "-"+
 *   tag            := [\w][\w.-]{0,127}
 *   digest         := algorithm ":" hex
 *
 * plus docker's normalisation: a name whose first component has no `.` or `:`, is not
 * `localhost` and is lowercase lives on docker.io, and a one-component docker.io name is under
 * `library/`.
 */
export interface ImageReference {
  /** Registry host, with the port when there is one: `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/alpine`. */
  path: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** The host docker.io's registry API actually answers on. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DIGEST_RE = new RegExp(`^${DIGEST}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;

function bad(input: string, why: string): ImageError {
  return new ImageError('ERR_BAD_REFERENCE', `${JSON.stringify(input)}: ${why}`);
}

/**
 * Parses a reference the way `docker pull` / `podman pull` do (podman configured with docker.io
 * as its only unqualified-search registry). Throws ERR_BAD_REFERENCE with the reason.
 */
export function parseReference(input: string): ImageReference {
  if (input === '') throw bad(input, 'an image reference cannot be empty');
  if (IDENTIFIER_RE.test(input)) {
    throw bad(input, 'a 64-digit hexadecimal string is an image id, not a repository name');
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw bad(input, 'invalid digest after "@"');
    validateDigestAlgorithm(input, digest);
  }
  // A tag follows the last ":" that comes after the last "/" (an earlier ":" is a port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag))
      throw bad(
        input,
        'invalid tag (letters, digits, _ . -, at most 128, not starting with . or -)',
      );
  }
  const { domain, path } = splitDomain(input, rest);
  if (domain + path === '' || path === '') throw bad(input, 'missing repository name');
  if (!DOMAIN_RE.test(domain)) throw bad(input, `invalid registry host ${JSON.stringify(domain)}`);
  if (!PATH_RE.test(path)) {
    if (path.toLowerCase() !== path && PATH_RE.test(path.toLowerCase())) {
      throw bad(input, 'repository name must be lowercase');
    }
    throw bad(
      input,
      'invalid repository name (lowercase letters, digits and separators . _ __ -, in components split by /)',
    );
  }
  const name = `${domain}/${path}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw bad(input, `repository name longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const ref: ImageReference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function validateDigestAlgorithm(input: string, digest: string): void {
  const [algorithm, hex = ''] = digest.split(':');
  const len = algorithm === 'sha256' ? 64 : algorithm === 'sha512' ? 128 : undefined;
  if (len === undefined) throw bad(input, `unsupported digest algorithm ${algorithm}`);
  if (hex.length !== len || !/^[0-9a-f]+$/.test(hex)) {
    throw bad(input, `a ${algorithm} digest is ${len} lowercase hex digits`);
  }
}

/** docker's rule for telling a registry host from the first path component. */
function splitDomain(input: string, name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  let domain: string;
  let path: string;
  if (
    slash < 0 ||
    (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)
  ) {
    domain = DEFAULT_DOMAIN;
    path = name;
  } else {
    domain = first;
    path = name.slice(slash + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && path !== '' && !path.includes('/')) {
    path = OFFICIAL_REPO_PREFIX + path;
  }
  if (path === '' && slash >= 0) throw bad(input, 'missing repository name after the registry');
  return { domain, path };
}

/** Adds the default tag when the reference has neither tag nor digest (`alpine` → `:latest`). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** `domain/path[:tag][@digest]`, the fully qualified form podman prints. */
export function formatReference(ref: ImageReference): string {
  let s = `${ref.domain}/${ref.path}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** docker's short display form: `alpine:latest`, `user/repo`, `127.0.0.1:5000/a/b:tag`. */
export function familiarReference(ref: ImageReference): string {
  let name = `${ref.domain}/${ref.path}`;
  if (ref.domain === DEFAULT_DOMAIN) {
    name =
      ref.path.startsWith(OFFICIAL_REPO_PREFIX) && ref.path.split('/').length === 2
        ? ref.path.slice(OFFICIAL_REPO_PREFIX.length)
        : ref.path;
  }
  return formatReference({ ...ref, domain: '', path: name }).replace(/^\//, '');
}

/**
 * What the registry API is addressed as for this reference: the host (docker.io maps to
 * registry-1.docker.io) and the manifest selector (digest first: a `name:tag@digest` pulls by
 * digest, as docker does).
 */
export function registryTarget(ref: ImageReference): {
  host: string;
  repository: string;
  selector: string;
} {
  return {
    host: ref.domain === DEFAULT_DOMAIN ? DOCKER_HUB_REGISTRY : ref.domain,
    repository: ref.path,
    selector: ref.digest ?? ref.tag ?? DEFAULT_TAG,
  };
}
