import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { ImageError } from './errors.js';

/** Where one regular file's bytes lie inside a tar. */
export interface TarEntry {
  offset: number;
  size: number;
}

const BLOCK = 512;
const MAX_LINK_DEPTH = 16;
/** pax headers and GNU long names are a few hundred bytes; a huge one is an attack on memory. */
const MAX_META_BYTES = 1024 * 1024;

/**
 * Indexes a tar archive (ustar, pax and GNU long names) by path, without extracting it, so the
 * archive sources read blobs straight out of it. Symlinks and hard links between members (docker
 * save links duplicate layers) are resolved within the archive only. Only names and offsets are
 * kept; nothing is written anywhere.
 */
export async function indexTar(file: string): Promise<Map<string, TarEntry>> {
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new ImageError('ERR_BAD_SOURCE', `${file}: cannot open (${err.code ?? err.message})`, {
      cause: err,
      path: file,
    });
  });
  const files = new Map<string, TarEntry>();
  const links = new Map<string, string>();
  try {
    const fileSize = (await fh.stat()).size;
    const header = Buffer.alloc(BLOCK);
    let pos = 0;
    let longName: string | undefined;
    let paxPath: string | undefined;
    let paxSize: number | undefined;
    let paxLink: string | undefined;
    for (;;) {
      const { bytesRead } = await fh.read(header, 0, BLOCK, pos);
      if (bytesRead === 0) break;
      if (bytesRead < BLOCK) throw bad(file, 'truncated header');
      if (header.every((b) => b === 0)) break;
      if (!checksumOk(header)) throw bad(file, `bad header checksum at offset ${pos}`);
      const type = String.fromCharCode(header[156] ?? 0);
      const size = paxSize ?? parseNumber(header.subarray(124, 136), file);
      const dataStart = pos + BLOCK;
      const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
      if (dataStart + size > fileSize) throw bad(file, 'truncated member');
      const readData = async () => {
        if (size > MAX_META_BYTES) throw bad(file, `a ${size}-byte name or pax header`);
        const buf = Buffer.alloc(size);
        await fh.read(buf, 0, size, dataStart);
        return buf;
      };
      if (type === 'L') {
        longName = cString((await readData()).subarray(0, size));
      } else if (type === 'x') {
        const pax = parsePax(await readData(), file);
        paxPath = pax.path;
        paxLink = pax.linkpath;
        paxSize = pax.size;
        pos = next;
        continue;
      } else if (type === 'g' || type === 'K') {
        // Global pax headers and GNU long link names of no interest here.
      } else {
        const prefix = cString(header.subarray(345, 500));
        const rawName =
          paxPath ?? longName ?? (prefix ? `${prefix}/` : '') + cString(header.subarray(0, 100));
        const name = normalize(rawName);
        const linkName = paxLink ?? cString(header.subarray(157, 257));
        if (type === '0' || type === '\0' || type === '7') {
          files.set(name, { offset: dataStart, size });
        } else if (type === '2') {
          links.set(name, normalize(posix.join(posix.dirname(name), linkName)));
        } else if (type === '1') {
          links.set(name, normalize(linkName));
        }
        longName = undefined;
        paxPath = undefined;
        paxLink = undefined;
      }
      paxSize = undefined;
      pos = next;
    }
  } finally {
    await fh.close();
  }
  for (const [name, target] of links) {
    let t = target;
    for (let i = 0; i < MAX_LINK_DEPTH && !files.has(t) && links.has(t); i++)
      t = links.get(t) as string;
    const entry = files.get(t);
    if (entry) files.set(name, entry);
  }
  return files;
}

/** `./a//b/` → `a/b`; `..` that would leave the archive root is dropped. */
export function normalize(name: string): string {
  const n = posix.normalize(`/${name}`).slice(1);
  return n.endsWith('/') ? n.slice(0, -1) : n;
}

function bad(file: string, why: string): ImageError {
  return new ImageError('ERR_BAD_ARCHIVE', `${file}: not a valid tar archive (${why})`, {
    path: file,
  });
}

function cString(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
}

/** Octal, or GNU base-256 (high bit set) for sizes of 8 GiB and more. */
function parseNumber(b: Buffer, file: string): number {
  if (((b[0] ?? 0) & 0x80) !== 0) {
    let n = (b[0] ?? 0) & 0x7f;
    for (let i = 1; i < b.length; i++) n = n * 256 + (b[i] ?? 0);
    return n;
  }
  const s = cString(b).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw bad(file, `bad number field ${JSON.stringify(s)}`);
  return Number.parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
  const stored = Number.parseInt(cString(h.subarray(148, 156)).trim(), 8);
  return stored === sum;
}

function parsePax(data: Buffer, file: string): { path?: string; linkpath?: string; size?: number } {
  const out: { path?: string; linkpath?: string; size?: number } = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number.parseInt(data.subarray(i, space).toString('ascii'), 10);
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length)
      throw bad(file, 'bad pax header');
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'linkpath') out.linkpath = value;
    else if (key === 'size') out.size = Number(value);
    i += len;
  }
  return out;
}
