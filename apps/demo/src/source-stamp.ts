/**
 * `rootless run oci:DIR:TAG` (or an `oci-archive:`/`docker-archive:` file) must notice when the
 * files changed since the image was stored, which means reading the source: loading the image
 * package, parsing the layout's index and manifest, hashing them. The manifest a file source
 * gives is decided by one file (the layout's `index.json`, whose blobs are content-addressed, or
 * the archive itself), so a stamp of that file (device, inode, size, mtime and ctime in
 * nanoseconds) taken before a read stands for what the read found. A run whose stamp matches the
 * one recorded with the stored manifest skips the read; any change (a rewrite, a rename over it,
 * a touch) gives another stamp and a real read. The records live in the store's root, beside
 * the images they speak of; losing them only costs a read.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE_NAME = 'source-stamps.json';
/** Records kept; the oldest go first (each is a few hundred bytes). */
export const MAX_STAMPS = 64;

interface StampRecord {
  stamp: string;
  manifestDigest: string;
}
type Stamps = Record<string, StampRecord>;

/**
 * The file that decides a file source's manifest, from the store's name of the source
 * (`oci:/abs/dir[:tag]`, `oci-archive:/abs/file[:ref]`, `docker-archive:/abs/file[:ref]`);
 * undefined for registry references.
 */
export function decidingFile(name: string): string | undefined {
  const m = /^(oci|oci-archive|docker-archive):([^:]+)/.exec(name);
  if (!m) return undefined;
  return m[1] === 'oci' ? join(m[2]!, 'index.json') : m[2]!;
}

/** The stamp of the file deciding the source's manifest now; undefined when it cannot be read. */
export function sourceStamp(name: string): string | undefined {
  const file = decidingFile(name);
  if (file === undefined) return undefined;
  const st = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (!st?.isFile()) return undefined;
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** A record's key: the platform asked for changes which manifest an index resolves to. */
export function stampKey(name: string, platform: string | undefined): string {
  return `${name} ${platform ?? ''}`;
}

function readStamps(storeRoot: string): Stamps {
  try {
    const parsed = JSON.parse(readFileSync(join(storeRoot, FILE_NAME), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Stamps) : {};
  } catch {
    return {};
  }
}

/** The manifest digest recorded with that stamp, if the same stamp was recorded. */
export function stampedDigest(storeRoot: string, key: string, stamp: string): string | undefined {
  const r = readStamps(storeRoot)[key];
  return r?.stamp === stamp && typeof r.manifestDigest === 'string' ? r.manifestDigest : undefined;
}

/** `stamps` with `key` set last (most recent), at most `max` records. Pure. */
export function withStamp(stamps: Stamps, key: string, rec: StampRecord, max = MAX_STAMPS): Stamps {
  const entries = Object.entries(stamps).filter(([k]) => k !== key);
  entries.push([key, rec]);
  return Object.fromEntries(entries.slice(-max));
}

/**
 * Records that the source, as stamped before it was read, gave this manifest. Written through a
 * temporary file and a rename (concurrent runs: the last one wins; a lost record costs a read).
 */
export function recordSourceStamp(
  storeRoot: string,
  key: string,
  stamp: string,
  manifestDigest: string,
): void {
  const file = join(storeRoot, FILE_NAME);
  const tmp = `${file}.${process.pid}`;
  try {
    writeFileSync(
      tmp,
      JSON.stringify(withStamp(readStamps(storeRoot), key, { stamp, manifestDigest })),
      { mode: 0o600 },
    );
    renameSync(tmp, file);
  } catch {
    // Only a cache.
  }
}
