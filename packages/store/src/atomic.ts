import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getrandom } from '@rootless-ts/libc';

/** A fresh name in the store's tmp directory; later runs remove whatever such names remain. */
export function tempName(tmpDir: string, what: string): string {
  return join(tmpDir, `${what}-${process.pid}-${getrandom(6).toString('hex')}`);
}

/** fsync of a directory, so a rename into it survives a power cut. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a whole file through a temp file, fsync and rename: readers see the old or the new.
 * `durable: false` skips both fsyncs (readers still see the old or the new, but a power cut may
 * lose the file): for records whose loss the store recovers from, written on every container
 * start, where an fsync on a busy disk costs tens of milliseconds.
 */
export function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  tmpDir: string,
  mode = 0o644,
  opts: { durable?: boolean } = {},
): void {
  const durable = opts.durable ?? true;
  const tmp = tempName(tmpDir, 'file');
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    if (durable) fsyncDir(dirname(path));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
