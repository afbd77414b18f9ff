import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageError } from '../errors.js';
import { indexTar, normalize, type TarEntry } from '../tar-index.js';

/**
 * Read access to the files of an image layout or archive, whether they are a directory's or
 * members of a tar, so one implementation of each format serves both.
 */
export interface LayoutFiles {
  /** Human name of the container of the files (the directory or archive path). */
  readonly where: string;
  /** A whole file, refused above maxBytes; ERR_NOT_FOUND when it is missing. */
  read(rel: string, maxBytes: number): Promise<Uint8Array>;
  /** A file's bytes as a stream; ERR_NOT_FOUND when it is missing. */
  stream(rel: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  /** The first bytes of a file (to sniff compression). */
  head(rel: string, n: number): Promise<Uint8Array>;
  size(rel: string): Promise<number>;
}

function notFound(where: string, rel: string, cause?: unknown): ImageError {
  return new ImageError('ERR_NOT_FOUND', `${where}: ${rel} is missing`, { cause, path: where });
}

function tooLarge(where: string, rel: string, max: number): ImageError {
  return new ImageError('ERR_BAD_MANIFEST', `${where}: ${rel} is larger than ${max} bytes`, {
    path: where,
  });
}

export class DirectoryFiles implements LayoutFiles {
  constructor(readonly where: string) {}

  private path(rel: string): string {
    return join(this.where, normalize(rel));
  }

  private async openFile(rel: string) {
    try {
      return await open(this.path(rel), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(this.where, rel, err);
      throw new ImageError(
        'ERR_BAD_SOURCE',
        `${this.where}: cannot open ${rel} (${(err as NodeJS.ErrnoException).code})`,
        {
          cause: err,
          path: this.path(rel),
        },
      );
    }
  }

  async read(rel: string, maxBytes: number): Promise<Uint8Array> {
    const fh = await this.openFile(rel);
    try {
      const { size } = await fh.stat();
      if (size > maxBytes) throw tooLarge(this.where, rel, maxBytes);
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async stream(rel: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const fh = await this.openFile(rel);
    return createReadStream('', { fd: fh, autoClose: true, ...(signal ? { signal } : {}) });
  }

  async head(rel: string, n: number): Promise<Uint8Array> {
    const fh = await this.openFile(rel);
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async size(rel: string): Promise<number> {
    const fh = await this.openFile(rel);
    try {
      return (await fh.stat()).size;
    } finally {
      await fh.close();
    }
  }
}

/** Members of a tar archive, indexed once and read in place. */
export class TarFiles implements LayoutFiles {
  private index?: Promise<Map<string, TarEntry>>;

  constructor(readonly where: string) {}

  private async entry(rel: string): Promise<TarEntry> {
    this.index ??= indexTar(this.where);
    const e = (await this.index).get(normalize(rel));
    if (!e) throw notFound(this.where, rel);
    return e;
  }

  async read(rel: string, maxBytes: number): Promise<Uint8Array> {
    const e = await this.entry(rel);
    if (e.size > maxBytes) throw tooLarge(this.where, rel, maxBytes);
    const fh = await open(this.where, 'r');
    try {
      const buf = Buffer.alloc(e.size);
      await fh.read(buf, 0, e.size, e.offset);
      return buf;
    } finally {
      await fh.close();
    }
  }

  async stream(rel: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const e = await this.entry(rel);
    if (e.size === 0) return (async function* () {})();
    return createReadStream(this.where, {
      start: e.offset,
      end: e.offset + e.size - 1,
      ...(signal ? { signal } : {}),
    });
  }

  async head(rel: string, n: number): Promise<Uint8Array> {
    const e = await this.entry(rel);
    const fh = await open(this.where, 'r');
    try {
      const buf = Buffer.alloc(Math.min(n, e.size));
      await fh.read(buf, 0, buf.length, e.offset);
      return buf;
    } finally {
      await fh.close();
    }
  }

  async size(rel: string): Promise<number> {
    return (await this.entry(rel)).size;
  }
}
