import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { lockFile } from './lock.js';
import type { StoreLayout } from './paths.js';

export interface LayerRecord {
  /** Digest of the blob as stored (usually compressed). */
  digest: string;
  /** Digest of the uncompressed tar: the key of the extracted layer. */
  diffID: string;
  size: number;
  mediaType: string;
}

/** One image in the store. */
export interface ImageRecord {
  names: string[];
  manifestDigest: string;
  configDigest: string;
  layers: LayerRecord[];
  pulledAt: string;
}

export interface ImagesIndex {
  version: 1;
  images: ImageRecord[];
}

export function readImages(l: StoreLayout): ImagesIndex {
  if (!existsSync(l.index)) return { version: 1, images: [] };
  const parsed = JSON.parse(readFileSync(l.index, 'utf8')) as ImagesIndex;
  return { version: 1, images: Array.isArray(parsed.images) ? parsed.images : [] };
}

/** Read-modify-write of the index under its own lock, replaced atomically. */
export async function updateImages<T>(
  l: StoreLayout,
  change: (index: ImagesIndex) => T,
): Promise<T> {
  const lock = await lockFile(l.indexLock, 'exclusive');
  try {
    const index = readImages(l);
    const result = change(index);
    writeFileAtomic(l.index, `${JSON.stringify(index, null, 2)}\n`, l.tmp);
    return result;
  } finally {
    lock.release();
  }
}

/** Adds (or moves) `name` to the record of this manifest; other images lose the name (a re-tag). */
export function tagImage(
  index: ImagesIndex,
  rec: Omit<ImageRecord, 'names'>,
  name: string,
): ImageRecord {
  for (const r of index.images) r.names = r.names.filter((n) => n !== name);
  let found = index.images.find((r) => r.manifestDigest === rec.manifestDigest);
  if (!found) {
    found = { ...rec, names: [] };
    index.images.push(found);
  }
  found.names.push(name);
  return found;
}

/** The record a user means: a name, a manifest digest, or an id (config digest hex, a prefix of at least 4). */
export function findImage(index: ImagesIndex, ref: string): ImageRecord | undefined {
  const byName = index.images.find((r) => r.names.includes(ref));
  if (byName) return byName;
  const byDigest = index.images.find((r) => r.manifestDigest === ref || r.configDigest === ref);
  if (byDigest) return byDigest;
  if (/^[a-f0-9]{4,64}$/.test(ref)) {
    const hits = index.images.filter((r) => r.configDigest.slice('sha256:'.length).startsWith(ref));
    if (hits.length === 1) return hits[0];
  }
  return undefined;
}

/** Blobs and layers still referenced by the images (and by containers' records). */
export function referenced(
  images: readonly ImageRecord[],
  containerDiffIds: Iterable<string> = [],
) {
  const blobs = new Set<string>();
  const layers = new Set<string>(containerDiffIds);
  for (const r of images) {
    blobs.add(r.manifestDigest);
    blobs.add(r.configDigest);
    for (const x of r.layers) {
      blobs.add(x.digest);
      layers.add(x.diffID);
    }
  }
  return { blobs, layers };
}
