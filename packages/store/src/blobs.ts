import {
  closeSync,
  createWriteStream,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { fsyncDir, tempName, writeFileAtomic } from './atomic.js';
import { digestHex, sha256Digest } from './digest.js';
import { StoreError } from './errors.js';
import type { StoreLayout } from './paths.js';

export function blobPath(l: StoreLayout, digest: string): string {
  return join(l.blobs, digestHex(digest));
}

/** Whether the blob is in the store with the expected size (it was verified before it got there). */
export function hasBlob(l: StoreLayout, digest: string, size?: number): boolean {
  try {
    const st = statSync(blobPath(l, digest));
    return st.isFile() && (size === undefined || st.size === size);
  } catch {
    return false;
  }
}

/** Stores bytes under their digest after checking it. */
export function putBlobBytes(l: StoreLayout, digest: string, bytes: Uint8Array): void {
  const got = sha256Digest(bytes);
  if (got !== digest)
    throw new StoreError('ERR_DIGEST_MISMATCH', `blob ${digest} has digest ${got}`);
  if (hasBlob(l, digest, bytes.length)) return;
  writeFileAtomic(blobPath(l, digest), bytes, l.tmp);
}

/** Counts and hashes what passes through. */
export function hashTap(
  onBytes?: (n: number) => void,
): Transform & { digest(): string; bytes(): number } {
  const h = process.getBuiltinModule('node:crypto').createHash('sha256');
  let n = 0;
  const t = new (process.getBuiltinModule('node:stream').Transform)({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      onBytes?.(n);
      cb(null, chunk);
    },
  });
  let digest: string | undefined;
  return Object.assign(t, {
    digest: () => (digest ??= `sha256:${h.digest('hex')}`),
    bytes: () => n,
  });
}

/**
 * Writes a blob from a stream: into a temp file, checked against the descriptor's size and
 * digest (again: the source checks too, this is defence in depth), fsynced, then renamed into
 * place. Until the rename nothing under blobs/ names it; a crash leaves only the temp file.
 */
export async function putBlobStream(
  l: StoreLayout,
  desc: { digest: string; size: number },
  input: Readable,
  onBytes?: (n: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const final = blobPath(l, desc.digest);
  const tmp = tempName(l.tmp, 'blob');
  const tap = hashTap(onBytes);
  try {
    try {
      await process
        .getBuiltinModule('node:stream/promises')
        .pipeline(
          input,
          tap,
          createWriteStream(tmp, { flags: 'wx', mode: 0o644 }),
          signal ? { signal } : {},
        );
    } catch (e) {
      if (signal?.aborted) {
        throw new StoreError('ERR_ABORTED', `download of ${desc.digest} aborted`, {
          cause: signal.reason,
        });
      }
      throw e;
    }
    if (tap.bytes() !== desc.size) {
      throw new StoreError(
        'ERR_SIZE_MISMATCH',
        `blob ${desc.digest} is ${tap.bytes()} bytes, the manifest says ${desc.size}`,
      );
    }
    if (tap.digest() !== desc.digest) {
      throw new StoreError(
        'ERR_DIGEST_MISMATCH',
        `blob ${desc.digest} arrived with digest ${tap.digest()}`,
      );
    }
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
    fsyncDir(l.blobs);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export type Compression = 'gzip' | 'zstd' | 'none';

/** The compression of a stored blob, from its first bytes (media types lie more often). */
export function sniffCompression(path: string): Compression {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(4);
  try {
    readSync(fd, b, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}
