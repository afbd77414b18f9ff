// The program the store runs as root inside the user's user namespace (with its subordinate
// mapping) and a mount namespace of its own: `node helper.js OP JSON`. It extracts layers,
// removes trees owned by subordinate ids, probes overlay and copies layers. Its one result is
// the last line of stdout, as JSON.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fcntl, mount as M } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import type * as TarStream from 'tar-stream';
import {
  EntryRefused,
  entryXattrs,
  OPAQUE_XATTR,
  planEntry,
  type TarHeaderLike,
  xattrAllowed,
} from './entries.js';

const require = createRequire(import.meta.url);
const tar = require('tar-stream') as typeof TarStream;
keepBinaryXattrs();

/**
 * tar-stream decodes every PAX value as UTF-8, which mangles binary xattr values such as
 * `security.capability`. Its decoder is swapped for one that keeps those values byte for byte
 * (latin1); every other record stays UTF-8 (file names).
 */
function keepBinaryXattrs(): void {
  const headers = require(join(dirname(require.resolve('tar-stream')), 'headers.js')) as {
    decodePax: (buf: Buffer) => Record<string, string>;
  };
  headers.decodePax = (input: Buffer) => {
    const result: Record<string, string> = {};
    let buf = input;
    while (buf.length) {
      const sp = buf.indexOf(32);
      const len = Number.parseInt(buf.subarray(0, sp).toString('ascii'), 10);
      if (!len || sp < 0 || len > buf.length) return result;
      const record = buf.subarray(sp + 1, len - 1);
      const eq = record.indexOf(61);
      if (eq === -1) return result;
      const key = record.subarray(0, eq).toString('utf8');
      result[key] = record
        .subarray(eq + 1)
        .toString(key.startsWith('SCHILY.xattr.') ? 'latin1' : 'utf8');
      buf = buf.subarray(len);
    }
    return result;
  };
}

function done(result: Record<string, unknown>, code = 0): never {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(code);
}

function fail(e: unknown): never {
  const err = e as { code?: string; message?: string; syscall?: string; path?: string };
  done(
    {
      ok: false,
      code: err.code ?? 'ERR_HELPER_FAILED',
      message: err.message ?? String(e),
      path: err.path,
    },
    e instanceof EntryRefused ? 3 : 2,
  );
}

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
}

const abs = (parts: readonly string[]) => `/${parts.join('/')}`;

/** Walks the parents of an entry (chrooted at the layer): each must be a real directory. */
/**
 * Directories this extraction has already seen to be real directories (it is the only writer
 * of the layer directory). Saves the lstat walk of every parent for every entry; a directory
 * that an entry replaces is forgotten with everything under it (see clear).
 */
const knownDirs = new Set<string>(['/']);

function ensureParents(parts: readonly string[], name: string, create: boolean): void {
  for (let i = 1; i < parts.length; i++) {
    const p = abs(parts.slice(0, i));
    if (knownDirs.has(p)) continue;
    const st = lstat(p);
    if (!st) {
      if (!create) throw new EntryRefused(`${name}: ${p} does not exist in this layer`);
      fs.mkdirSync(p, 0o755);
    } else if (!st.isDirectory()) {
      throw new EntryRefused(
        `${name}: ${p} is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}, refusing to go through it`,
      );
    }
    knownDirs.add(p);
  }
}

function clear(p: string, keepDir: boolean): void {
  const st = lstat(p);
  if (!st) return;
  if (st.isDirectory()) {
    if (keepDir) return;
    for (const d of knownDirs) if (d === p || d.startsWith(`${p}/`)) knownDirs.delete(d);
    fs.rmSync(p, { recursive: true, force: true });
  } else fs.unlinkSync(p);
}

function owner(p: string, h: TarHeaderLike, name: string): void {
  const uid = h.uid ?? 0;
  const gid = h.gid ?? 0;
  try {
    fs.lchownSync(p, uid, gid);
  } catch (e) {
    if ((e as { code?: string }).code === 'EINVAL') {
      throw new EntryRefused(
        `${name}: owner ${uid}:${gid} is outside the user namespace's id mapping`,
      );
    }
    throw e;
  }
}

async function extract(target: string): Promise<void> {
  // The layer directory becomes this process's root: whatever a path or link says, nothing
  // resolves outside it. The checks below refuse such entries outright on top of that.
  libc.chroot(target);
  process.chdir('/');
  // The layer's root belongs to root inside unless the layer says otherwise (a `./` entry).
  fs.lchownSync('/', 0, 0);
  fs.chmodSync('/', 0o755);
  const dirTimes: Array<[string, Date]> = [];
  const skipped: string[] = [];
  let entries = 0;
  const ex = tar.extract();
  const handle = async (
    header: TarStream.Header,
    stream: AsyncIterable<unknown> & { resume(): unknown },
  ): Promise<void> => {
    const h = header as TarHeaderLike & { mtime?: Date };
    const name = JSON.stringify(h.name);
    const a = planEntry(h);
    entries++;
    const p = abs(a.parts);
    if (a.kind !== 'file') stream.resume();
    switch (a.kind) {
      case 'skip':
        skipped.push(`${h.name}: ${a.reason}`);
        return;
      case 'opaque':
        ensureParents([...a.parts, 'x'], name, true);
        libc.lsetxattr(p, OPAQUE_XATTR, Buffer.from('y'));
        return;
      case 'whiteout':
        ensureParents(a.parts, name, true);
        clear(p, false);
        // A character device 0/0: the overlay whiteout, which a user namespace may create.
        libc.mknod(p, fcntl.S_IFCHR, 0);
        return;
      case 'hardlink': {
        ensureParents(a.parts, name, true);
        ensureParents(a.target, `hard link ${name}`, false);
        if (abs(a.target) === p) throw new EntryRefused(`hard link ${name} points at itself`);
        const t = lstat(abs(a.target));
        if (!t)
          throw new EntryRefused(
            `hard link ${name}: target ${JSON.stringify(h.linkname)} is not in this layer`,
          );
        if (t.isDirectory())
          throw new EntryRefused(
            `hard link ${name}: target ${JSON.stringify(h.linkname)} is a directory`,
          );
        clear(p, false);
        fs.linkSync(abs(a.target), p);
        return;
      }
      default:
        break;
    }
    ensureParents(a.parts, name, true);
    if (a.kind === 'dir') {
      clear(p, true);
      if (!lstat(p)) fs.mkdirSync(p, 0o700);
      knownDirs.add(p);
    } else if (a.kind === 'file') {
      clear(p, false);
      const fd = fs.openSync(
        p,
        fs.constants.O_WRONLY |
          fs.constants.O_CREAT |
          fs.constants.O_EXCL |
          fs.constants.O_NOFOLLOW,
        0o600,
      );
      try {
        for await (const chunk of stream) fs.writeSync(fd, chunk as Buffer);
      } finally {
        fs.closeSync(fd);
      }
    } else if (a.kind === 'symlink') {
      clear(p, false);
      fs.symlinkSync(a.target, p);
    } else if (a.kind === 'fifo') {
      clear(p, false);
      libc.mknod(p, fcntl.S_IFIFO | 0o600, 0);
    }
    owner(p, h, name);
    // After chown, which clears file capabilities and set-id bits.
    // Symlinks carry no xattrs that mean anything here (and user.* is not allowed on them).
    if (a.kind !== 'symlink')
      for (const x of entryXattrs(h.pax)) libc.lsetxattr(p, x.name, x.value);
    if (a.kind !== 'symlink') fs.chmodSync(p, (h.mode ?? 0o644) & 0o7777);
    const mtime = h.mtime ?? new Date(0);
    if (a.kind === 'dir') dirTimes.push([p, mtime]);
    else fs.lutimesSync(p, mtime, mtime);
  };
  await new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      handle(h, stream).then(
        () => next(),
        (e) => {
          stream.resume();
          reject(e);
        },
      );
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    process.stdin.on('error', reject);
    process.stdin.pipe(ex);
  });
  // Directory times last: every entry written into a directory changed its mtime.
  for (const [p, t] of dirTimes.reverse()) fs.lutimesSync(p, t, t);
  const fd = fs.openSync('/', 'r');
  libc.syncfs(fd);
  fs.closeSync(fd);
  done({ ok: true, entries, skipped });
}

function remove(paths: string[]): never {
  for (const p of paths) fs.rmSync(p, { recursive: true, force: true });
  done({ ok: true });
}

/** Directories owned and moded like `like` (an overlay's upper and work directories). */
function mkdirs(paths: string[], like: string): never {
  const st = fs.lstatSync(like);
  for (const p of paths) {
    fs.mkdirSync(p);
    fs.lchownSync(p, st.uid, st.gid);
    fs.chmodSync(p, st.mode & 0o7777);
  }
  done({ ok: true });
}

function probeOverlay(scratch: string): never {
  // The real path, not /proc/self/fd/3: that descriptor's mount belongs to the parent's mount
  // namespace, and overlay refuses layers on a mount of another namespace (it clones the upper
  // directory's mount). The container's mount will use real paths too, so a store whose path
  // root inside cannot walk is reported as unable to overlay.
  process.chdir(scratch);
  for (const n of ['lower', 'upper', 'work', 'merged']) fs.mkdirSync(n);
  fs.writeFileSync('lower/f', 'x');
  libc.mount(
    'overlay',
    'merged',
    'overlay',
    M.MS_NODEV | M.MS_NOSUID,
    'lowerdir=lower,upperdir=upper,workdir=work,userxattr',
  );
  fs.unlinkSync('merged/f');
  const st = fs.lstatSync('upper/f');
  libc.umount2('merged');
  done({ ok: true, whiteout: st.isCharacterDevice() && st.rdev === 0 });
}

/** Merges layers (lowest first) into target as overlay would show them: the copy fallback. */
function copyLayers(target: string, layers: string[]): never {
  fs.mkdirSync(target);
  for (const layer of layers) {
    copyDir(layer, target, new Map());
    copyMeta(layer, target, fs.lstatSync(layer));
  }
  done({ ok: true });
}

function copyMeta(src: string, dst: string, st: fs.Stats): void {
  fs.lchownSync(dst, st.uid, st.gid);
  for (const name of libc.llistxattr(src)) {
    if (!xattrAllowed(name)) continue;
    const v = libc.lgetxattr(src, name);
    if (v) libc.lsetxattr(dst, name, v);
  }
  if (!st.isSymbolicLink()) fs.chmodSync(dst, st.mode & 0o7777);
  fs.lutimesSync(dst, st.mtime, st.mtime);
}

function copyDir(srcDir: string, dstDir: string, inodes: Map<string, string>): void {
  if (libc.lgetxattr(srcDir, OPAQUE_XATTR)?.toString() === 'y') {
    for (const n of fs.readdirSync(dstDir))
      fs.rmSync(join(dstDir, n), { recursive: true, force: true });
  }
  for (const n of fs.readdirSync(srcDir)) {
    const s = join(srcDir, n);
    const t = join(dstDir, n);
    const st = fs.lstatSync(s);
    const cur = lstat(t);
    if (st.isCharacterDevice() && st.rdev === 0) {
      fs.rmSync(t, { recursive: true, force: true });
      continue;
    }
    if (st.isDirectory()) {
      if (cur && !cur.isDirectory()) fs.unlinkSync(t);
      if (!cur?.isDirectory()) fs.mkdirSync(t);
      copyDir(s, t, inodes);
      copyMeta(s, t, st);
      continue;
    }
    if (cur) fs.rmSync(t, { recursive: true, force: true });
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? inodes.get(key) : undefined;
    if (first) {
      fs.linkSync(first, t);
      continue;
    }
    if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(s), t);
    else if (st.isFile()) fs.copyFileSync(s, t, fs.constants.COPYFILE_FICLONE);
    else if (st.isFIFO()) libc.mknod(t, fcntl.S_IFIFO | 0o600, 0);
    else continue;
    if (st.nlink > 1) inodes.set(key, t);
    copyMeta(s, t, st);
  }
}

/** The store's root, descriptor 3 from the parent; every path argument is relative to it. */
const STORE = '/proc/self/fd/3';
const [op, json] = process.argv.slice(2);
const rawArgs = JSON.parse(json ?? '{}') as Record<string, unknown>;
const inStore = (p: string) => {
  if (p.startsWith('/') || p.split('/').includes('..')) throw new Error(`bad store path ${p}`);
  return join(STORE, p);
};
for (const [k, v] of Object.entries(rawArgs)) {
  if (k.startsWith('host')) continue;
  if (typeof v === 'string') rawArgs[k] = inStore(v);
  else if (Array.isArray(v)) rawArgs[k] = v.map((x) => (typeof x === 'string' ? inStore(x) : x));
}
const args = rawArgs as {
  target?: string;
  paths?: string[];
  layers?: string[];
  scratch?: string;
  hostScratch?: string;
  like?: string;
};
async function main(): Promise<void> {
  if (op === 'extract') await extract(args.target!);
  else if (op === 'rm') remove(args.paths ?? []);
  else if (op === 'mkdirs') mkdirs(args.paths ?? [], args.like!);
  else if (op === 'probe-overlay') probeOverlay(args.hostScratch!);
  else if (op === 'copy') copyLayers(args.target!, args.layers ?? []);
  else done({ ok: false, code: 'ERR_HELPER_FAILED', message: `unknown operation ${op}` }, 2);
}
main().catch(fail);
