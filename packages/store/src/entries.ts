// What to do with each tar entry of a layer, as plain data. The extractor (helper.ts) applies it.

/** Why an entry is refused; the extraction stops and nothing of the layer is kept. */
export class EntryRefused extends Error {
  override name = 'EntryRefused';
  readonly code = 'ERR_LAYER_REFUSED';
}

/** AUFS-style whiteout prefix the OCI image spec uses for deletions. */
export const WHITEOUT_PREFIX = '.wh.';
/** Marks a directory whose lower contents are hidden. */
export const OPAQUE_MARKER = '.wh..wh..opq';
/** The overlay xattr for an opaque directory when mounted with `userxattr`. */
export const OPAQUE_XATTR = 'user.overlay.opaque';

/**
 * The path of an entry inside the layer, as components. Refused: absolute paths and any `..`
 * component (even one that would stay inside: a layer has no business walking up).
 */
export function entryPath(name: string, what = 'entry'): string[] {
  if (name.includes('\0')) throw new EntryRefused(`${what} ${JSON.stringify(name)} has a NUL byte`);
  if (name.startsWith('/')) {
    throw new EntryRefused(`${what} ${JSON.stringify(name)} is an absolute path`);
  }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new EntryRefused(`${what} ${JSON.stringify(name)} leaves the layer through ..`);
  }
  return parts;
}

export interface TarHeaderLike {
  name: string;
  type?: string | null;
  linkname?: string | null;
  mode?: number | null;
  uid?: number | null;
  gid?: number | null;
  devmajor?: number | null;
  devminor?: number | null;
  pax?: Record<string, string> | null;
}

export type EntryAction =
  | { kind: 'dir' | 'file' | 'fifo'; parts: string[] }
  | { kind: 'symlink'; parts: string[]; target: string }
  | { kind: 'hardlink'; parts: string[]; target: string[] }
  | { kind: 'whiteout'; parts: string[] }
  | { kind: 'opaque'; parts: string[] }
  | { kind: 'skip'; parts: string[]; reason: string };

/** The action for one tar header; throws EntryRefused for entries that would leave the layer. */
export function planEntry(h: TarHeaderLike): EntryAction {
  const parts = entryPath(h.name);
  const base = parts.at(-1);
  const aufs = `${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`;
  // .wh..wh.* names other than the opaque marker are AUFS bookkeeping (hard link directories).
  if (
    parts.some((p, i) => p.startsWith(aufs) && !(i === parts.length - 1 && p === OPAQUE_MARKER))
  ) {
    return { kind: 'skip', parts, reason: 'aufs metadata' };
  }
  if (base?.startsWith(WHITEOUT_PREFIX)) {
    const dir = parts.slice(0, -1);
    if (base === OPAQUE_MARKER) return { kind: 'opaque', parts: dir };
    const victim = base.slice(WHITEOUT_PREFIX.length);
    entryPath(victim, 'whiteout');
    if (victim === '') throw new EntryRefused(`whiteout ${JSON.stringify(h.name)} names nothing`);
    return { kind: 'whiteout', parts: [...dir, victim] };
  }
  switch (h.type ?? 'file') {
    case 'directory':
      return { kind: 'dir', parts };
    case 'file':
    case 'contiguous-file':
      if (parts.length === 0)
        throw new EntryRefused(
          `entry ${JSON.stringify(h.name)} is the layer root but not a directory`,
        );
      return { kind: 'file', parts };
    case 'symlink':
      if (parts.length === 0)
        throw new EntryRefused(
          `entry ${JSON.stringify(h.name)} is the layer root but not a directory`,
        );
      return { kind: 'symlink', parts, target: h.linkname ?? '' };
    case 'link': {
      if (parts.length === 0)
        throw new EntryRefused(
          `entry ${JSON.stringify(h.name)} is the layer root but not a directory`,
        );
      const target = entryPath(h.linkname ?? '', `hard link ${JSON.stringify(h.name)} to`);
      if (target.length === 0)
        throw new EntryRefused(`hard link ${JSON.stringify(h.name)} points at the layer root`);
      return { kind: 'hardlink', parts, target };
    }
    case 'fifo':
      return { kind: 'fifo', parts };
    case 'character-device':
    case 'block-device':
      // As podman and docker do in a user namespace: the kernel refuses mknod of real devices
      // there, so device nodes are skipped (the runtime bind-mounts /dev at run time).
      return { kind: 'skip', parts, reason: 'device node (not creatable in a user namespace)' };
    default:
      return { kind: 'skip', parts, reason: `tar entry type ${h.type}` };
  }
}

const XATTR_PREFIX = 'SCHILY.xattr.';

/**
 * The extended attributes an entry may set, from its PAX records (values decoded as latin1, so
 * `Buffer.from(v, 'latin1')` gives the bytes). Kept: `security.capability` (the kernel stores it
 * namespaced, for the user namespace's root), `user.*` and POSIX ACLs. Dropped: `trusted.*` and
 * `security.*` others (not settable in a user namespace), and every overlay attribute — a layer
 * that ships `user.overlay.*` could forge redirects or opaque markers the runtime never wrote.
 */
export function entryXattrs(
  pax: Record<string, string> | null | undefined,
): Array<{ name: string; value: Buffer }> {
  if (!pax) return [];
  const out: Array<{ name: string; value: Buffer }> = [];
  for (const [k, v] of Object.entries(pax)) {
    if (!k.startsWith(XATTR_PREFIX)) continue;
    const name = k.slice(XATTR_PREFIX.length);
    if (!xattrAllowed(name)) continue;
    out.push({ name, value: Buffer.from(v, 'latin1') });
  }
  return out;
}

export function xattrAllowed(name: string): boolean {
  if (name.startsWith('user.overlay.') || name.startsWith('trusted.')) return false;
  return (
    name === 'security.capability' ||
    name.startsWith('user.') ||
    name === 'system.posix_acl_access' ||
    name === 'system.posix_acl_default'
  );
}
