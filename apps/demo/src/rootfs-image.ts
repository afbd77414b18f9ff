/**
 * `rootless rootfs busybox DIR --image oci:LAYOUT[:TAG]`: the root just built, as a one-layer
 * OCI image in an image layout, so that `rootless run oci:LAYOUT:TAG` works without a download.
 * The layer is written with tar-stream (the tar library the store reads layers with), gzipped,
 * and hashed as it streams.
 */
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { STANDARD_PATH } from './env.js';
import { RootlessError } from './errors.js';

/** Owner of an entry in the image (container ids), from its path relative to the root. */
export type OwnerOf = (rel: string) => { uid: number; gid: number };

/** The busybox root's owners: root everywhere, alpine (1100) in its home. */
export const busyboxOwners: OwnerOf = (rel) =>
  rel === 'home/alpine' || rel.startsWith('home/alpine/')
    ? { uid: 1100, gid: 1100 }
    : { uid: 0, gid: 0 };

/** `oci:DIR[:TAG]` → the layout directory and tag (default `latest`). */
export function parseLayoutSpec(spec: string, cwd: string): { dir: string; tag: string } {
  const m = /^oci:([^:]+)(?::(.+))?$/.exec(spec);
  if (!m) throw new RootlessError('--image', `"${spec}" is not oci:DIR[:TAG]`);
  const tag = m[2] ?? 'latest';
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
    throw new RootlessError('--image', `"${tag}" is not a valid tag`);
  }
  return { dir: m[1]!.startsWith('/') ? m[1]! : join(cwd, m[1]!), tag };
}

/** Entries of a tree, parents before children, in a stable order. */
function walk(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const r = rel === '' ? name : `${rel}/${name}`;
    out.push(r);
    if (lstatSync(join(root, r)).isDirectory()) out.push(...walk(root, r));
  }
  return out;
}

/** Streams the tree as a tar (hard links kept, device nodes and sockets skipped). */
export function packTree(root: string, ownerOf: OwnerOf): tar.Pack {
  const pack = tar.pack();
  const seen = new Map<string, string>();
  (async () => {
    for (const rel of walk(root)) {
      const abs = join(root, rel);
      const st = lstatSync(abs);
      const { uid, gid } = ownerOf(rel);
      const base = { name: rel, uid, gid, mode: st.mode & 0o7777, mtime: st.mtime };
      if (st.isDirectory()) {
        pack.entry({ ...base, type: 'directory' });
      } else if (st.isSymbolicLink()) {
        pack.entry({ ...base, type: 'symlink', linkname: readlinkSync(abs) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seen.get(key) : undefined;
        if (first !== undefined) {
          pack.entry({ ...base, type: 'link', linkname: first });
          continue;
        }
        if (st.nlink > 1) seen.set(key, rel);
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...base, type: 'file', size: st.size }, (err) =>
            err ? reject(err) : resolve(),
          );
          pipeline(createReadStream(abs), entry).catch(reject);
        });
      } else if (st.isFIFO()) {
        pack.entry({ ...base, type: 'fifo' });
      }
    }
    pack.finalize();
  })().catch((e) => pack.destroy(e));
  return pack;
}

function hashing(hash: ReturnType<typeof createHash>, count: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      count.n += chunk.length;
      cb(null, chunk);
    },
  });
}

/**
 * The tar of a root whose files belong to subordinate ids (`rootfs debian`): GNU tar run as root
 * in a user namespace with the usual mapping, the only place every file is readable and its
 * owner is the container id (`--numeric-owner`); hard links, set-id bits and
 * `security.capability` kept. Its exit status is checked when the stream ends.
 */
export async function userNamespaceTar(root: string): Promise<Readable> {
  const { rootlessIdMap, spawn } = await import('@rootless-ts/namespaces');
  const { plan, idmap } = rootlessIdMap();
  if (plan.mode !== 'subordinate') {
    throw new RootlessError('rootfs --image', `subordinate ids: ${plan.reason.message}`);
  }
  const p = await spawn({
    argv: [
      'tar',
      '--numeric-owner',
      '--xattrs',
      '--xattrs-include=security.capability',
      '--sort=name',
      '--one-file-system',
      '-C',
      root,
      '-cf',
      '-',
      '.',
    ],
    env: { PATH: STANDARD_PATH },
    namespaces: ['user', 'mnt'],
    idmap,
    uid: 0,
    gid: 0,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  p.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const out = p.stdout!;
  const checked = new Transform({
    transform(chunk, _enc, cb) {
      cb(null, chunk);
    },
    flush(cb) {
      p.exited.then(
        (st) =>
          st.code === 0
            ? cb()
            : cb(
                new Error(
                  `tar in the user namespace failed (${st.code ?? st.signal}): ${err.trim()}`,
                ),
              ),
        cb,
      );
    },
  });
  return out.pipe(checked);
}

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The OCI architecture name of this machine. */
function ociArch(): string {
  return arch() === 'x64' ? 'amd64' : arch();
}

/**
 * Writes the tar `opts.tar()` gives as a one-layer image into the layout `dir` under `tag`
 * (other tags kept, the same tag replaced). Blobs are written under temporary names and renamed once complete; the index last.
 */
export async function writeImageLayout(
  layout: { dir: string; tag: string },
  opts: {
    /** The layer's tar: packTree with the busybox owners, or GNU tar in the user namespace. */
    tar: () => AsyncIterable<unknown> | Promise<AsyncIterable<unknown>>;
    config: { Cmd: string[]; Env?: string[]; WorkingDir?: string };
  },
): Promise<{ manifestDigest: string }> {
  const blobs = join(layout.dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const tmp = join(blobs, `.tmp-${process.pid}`);
  const diffHash = createHash('sha256');
  const blobHash = createHash('sha256');
  const tarCount = { n: 0 };
  const gzCount = { n: 0 };
  try {
    await pipeline(
      await opts.tar(),
      hashing(diffHash, tarCount),
      createGzip(),
      hashing(blobHash, gzCount),
      createWriteStream(tmp, { flags: 'wx', mode: 0o644 }),
    );
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new RootlessError('rootfs --image', { cause: e });
  }
  const diffId = `sha256:${diffHash.digest('hex')}`;
  const layerDigest = `sha256:${blobHash.digest('hex')}`;
  renameSync(tmp, join(blobs, layerDigest.slice(7)));
  const put = (bytes: string): string => {
    const d = sha(bytes);
    writeFileSync(join(blobs, d.slice(7)), bytes);
    return d;
  };
  const created = new Date().toISOString();
  const config = JSON.stringify({
    created,
    architecture: ociArch(),
    os: 'linux',
    config: { Env: opts.config.Env ?? [`PATH=${STANDARD_PATH}`], ...opts.config },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: 'rootless rootfs' }],
  });
  const configDigest = put(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: configDigest,
      size: Buffer.byteLength(config),
    },
    layers: [
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: layerDigest,
        size: gzCount.n,
      },
    ],
  });
  const manifestDigest = put(manifest);
  writeFileSync(join(layout.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const indexPath = join(layout.dir, 'index.json');
  type Index = { schemaVersion: 2; manifests: Array<{ annotations?: Record<string, string> }> };
  let index: Index = { schemaVersion: 2, manifests: [] };
  if (existsSync(indexPath)) index = JSON.parse(readFileSync(indexPath, 'utf8')) as Index;
  index.manifests = index.manifests.filter(
    (m) => m.annotations?.['org.opencontainers.image.ref.name'] !== layout.tag,
  );
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: manifestDigest,
    size: Buffer.byteLength(manifest),
    platform: { architecture: ociArch(), os: 'linux' },
    annotations: { 'org.opencontainers.image.ref.name': layout.tag },
  } as Index['manifests'][number]);
  writeFileSync(`${indexPath}.tmp`, JSON.stringify(index));
  renameSync(`${indexPath}.tmp`, indexPath);
  return { manifestDigest };
}
