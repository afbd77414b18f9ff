import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { IdMapper } from '@rootless-ts/namespaces';
import { fsyncDir, tempName, writeFileAtomic } from './atomic.js';
import {
  blobPath,
  hasBlob,
  hashTap,
  putBlobBytes,
  putBlobStream,
  sniffCompression,
} from './blobs.js';
import { removeAsUser, untouchedRemovalSteps } from './container-dir.js';
import { digestHex, sha256Digest } from './digest.js';
import { StoreError } from './errors.js';
import {
  findImage,
  type ImageRecord,
  type LayerRecord,
  readImages,
  referenced,
  tagImage,
  updateImages,
} from './images.js';
import { type Lock, lockFile, tryLockFile } from './lock.js';
import {
  type FsconfigStep,
  type OverlayDirs,
  overlayFsconfig,
  overlayMountData,
} from './overlay.js';
import { CONTAINER_ID, defaultStoreRoot, storeLayout } from './paths.js';
import type { Descriptor, ImageSource, Platform } from './types.js';
import { runUnshare, unshareRemoveArgs } from './unshare-rm.js';
import { runHelper, userIdMap } from './userns.js';

export interface StoreOptions {
  /** Default `$XDG_DATA_HOME/rootless-ts` (else `~/.local/share/rootless-ts`). */
  root?: string;
  /** The user namespace mapping layers are extracted with (default: the user's subordinate ids). */
  idmap?: IdMapper;
}

/** One progress report: per layer, suited to one bar per layer. */
export interface PullProgress {
  /** The layer's blob digest. */
  layer: string;
  /** Position in the image, 0 = lowest. */
  index: number;
  phase: 'exists' | 'downloading' | 'extracting' | 'done';
  /** Bytes of the blob downloaded (while downloading) or read (while extracting). */
  bytes: number;
  /** Size of the blob. */
  total: number;
}

export interface PullOptions {
  platform?: Platform;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
  /** Layers downloaded and extracted at once (default 3). */
  concurrency?: number;
}

export interface PullResult {
  name: string;
  manifestDigest: string;
  configDigest: string;
  layers: LayerRecord[];
}

export interface ImageSummary {
  names: string[];
  /** Short id: the first 12 hex digits of the config digest, as podman shows it. */
  id: string;
  manifestDigest: string;
  configDigest: string;
  /** Sum of the layer blobs' sizes. */
  size: number;
  created?: string;
  pulledAt: string;
}

export interface StoredImage {
  names: string[];
  manifestDigest: string;
  configDigest: string;
  config: ImageConfigLike;
  diffIDs: string[];
  /** Extracted layer directories, lowest first. */
  layerDirs: string[];
}

export interface ImageConfigLike {
  created?: string;
  config?: Record<string, unknown>;
  rootfs?: { type?: string; diff_ids?: string[] };
  [k: string]: unknown;
}

export interface RemoveResult {
  untagged: string[];
  deleted: string[];
  removedBlobs: number;
  removedLayers: number;
}

export interface PreparedContainer {
  id: string;
  mode: 'overlay' | 'copy';
  /** The read-only layers, lowest first (overlayMountData reverses them). */
  lowerdirs: string[];
  upperdir?: string;
  workdir?: string;
  /** Why a copy was made when overlay was asked for by `mode: 'auto'`. */
  fallbackReason?: string;
  /** Where the root is meant to appear: the overlay's mount point, or the copy itself. */
  mergedHint: string;
  /**
   * `lowerdir=…,upperdir=…,workdir=…,userxattr`, for mount(2) in the container's namespaces;
   * absent when the layers do not fit in one page (use `overlayFsconfig`).
   */
  overlayOptions?: string;
  /** The same overlay as fsconfig(2) steps for the new mount API (any number of layers). */
  overlayFsconfig?: FsconfigStep[];
  /**
   * With `upperOwner: 'container'`: the directory (the top layer's root) whose owner and mode
   * the container's setup gives `upperdir` before it mounts the overlay (overlay shows the upper
   * directory's owner and mode on the container's `/`).
   */
  upperOwnerLike?: string;
  /**
   * Removes the writable layer: as the user when the container wrote nothing (a few empty
   * directories), else as root in the user namespace (its files belong to subordinate ids).
   */
  cleanup(): Promise<void>;
}

export interface ContainerRecord {
  id: string;
  /** Manifest digest of its image. */
  image: string;
  diffIDs: string[];
  mode: 'overlay' | 'copy';
  created: string;
  /** The process that prepared it. */
  pid: number;
}

export interface PrepareOptions {
  id: string;
  /** `'auto'` (default: overlay when the probe works), `'overlay'` or `'copy'`. */
  mode?: 'auto' | 'overlay' | 'copy';
  /**
   * Who gives the overlay's upper directory its owner (that of the top layer's root, which
   * belongs to a subordinate id): `'store'` (default) does it in a process in the user
   * namespace; `'container'` leaves the directories as the invoking user made them, for the
   * container's own setup, root in a user namespace mapping the same host ids, to chown and
   * chmod `upperdir` like `upperOwnerLike` before mounting: no extra process at all.
   */
  upperOwner?: 'store' | 'container';
}

export interface OverlaySupport {
  supported: boolean;
  /** Why not, in one line. */
  reason?: string;
}

export interface Store {
  readonly root: string;
  pull(source: ImageSource, opts?: PullOptions): Promise<PullResult>;
  list(): ImageSummary[];
  get(nameOrDigest: string): StoredImage;
  remove(nameOrDigest: string, opts?: { force?: boolean }): Promise<RemoveResult>;
  gc(): Promise<{ removedBlobs: number; removedLayers: number }>;
  prepareContainer(image: string, opts: PrepareOptions): Promise<PreparedContainer>;
  /** Containers prepared and not cleaned up (a crashed runtime leaves its own here). */
  containers(): ContainerRecord[];
  /**
   * Removes a container's directory, e.g. one a crash left: as the user when it holds only what
   * an untouched container has, else as root in the user namespace.
   */
  removeContainer(id: string): Promise<void>;
  /** Whether overlayfs mounts in a user namespace over this store (probed once per store object). */
  overlaySupport(): Promise<OverlaySupport>;
}

/** mount(2) options, unless the layers do not fit in them (then only fsconfig steps are given). */
function optionsIfTheyFit(d: OverlayDirs): { overlayOptions?: string } {
  try {
    return { overlayOptions: overlayMountData(d) };
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_OVERLAY_OPTIONS') return {};
    throw e;
  }
}

function checkAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted)
    throw new StoreError('ERR_ABORTED', `${what} aborted`, { cause: signal.reason });
}

const LAYER_MEDIA = /(tar|rootfs\.diff\.tar)(\.gzip|\+gzip|\+zstd)?$/;

export function openStore(opts: StoreOptions = {}): Store {
  const l = storeLayout(opts.root ?? defaultStoreRoot());
  const mapping = opts.idmap ? undefined : userIdMap();
  const idmap = opts.idmap ?? mapping!.idmap;
  const mapFile = join(l.root, 'idmap.json');

  /**
   * Layers on disk carry host ids: they are right only under the mapping they were extracted
   * with. The default mapping is recorded at the first pull and checked at every later one
   * (a changed /etc/subuid range would otherwise give files wrong owners silently).
   */
  function checkMapping(): void {
    if (!mapping) return;
    if (!existsSync(mapFile)) {
      writeFileAtomic(mapFile, `${mapping.maps}\n`, l.tmp);
      return;
    }
    const recorded = readFileSync(mapFile, 'utf8').trim();
    if (recorded !== mapping.maps) {
      throw new StoreError(
        'ERR_IDMAP_CHANGED',
        `the store ${l.root} was filled under the id mapping ${recorded}, the user's mapping is now ${mapping.maps}: remove the store's images (or the store) and pull again`,
      );
    }
  }
  let overlayProbe: Promise<OverlaySupport> | undefined;

  function ensureDirs(): void {
    // 0700: layers hold set-id files owned by subordinate ids; other host users stay out, as
    // podman keeps its storage.
    mkdirSync(l.root, { recursive: true, mode: 0o700 });
    for (const d of [l.blobs, l.layers, l.containers, l.tmp, l.locks])
      mkdirSync(d, { recursive: true, mode: 0o700 });
  }

  /** Removes what a crashed run left in tmp, only when nobody else is working in the store. */
  async function cleanTmp(): Promise<void> {
    const excl = tryLockFile(l.storeLock, 'exclusive');
    if (!excl) return;
    try {
      await removeTmpEntries();
    } finally {
      excl.release();
    }
  }

  async function removeTmpEntries(): Promise<void> {
    const names = readdirSync(l.tmp);
    if (names.length === 0) return;
    const dirs: string[] = [];
    for (const n of names) {
      const p = join(l.tmp, n);
      if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) dirs.push(p);
      else rmSync(p, { force: true });
    }
    // Half-extracted layers hold files of subordinate ids: removed as root in the namespace.
    if (dirs.length > 0) await runHelper('rm', { root: l.root, paths: dirs }, { idmap });
  }

  async function withStoreLock<T>(
    mode: 'shared' | 'exclusive',
    f: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    ensureDirs();
    const lock: Lock = await lockFile(l.storeLock, mode, signal);
    try {
      return await f();
    } finally {
      lock.release();
    }
  }

  function layerDir(diffID: string): string {
    return join(l.layers, digestHex(diffID));
  }

  async function ensureLayer(
    source: ImageSource,
    desc: Descriptor,
    diffID: string,
    index: number,
    o: PullOptions,
  ): Promise<void> {
    const report = (phase: PullProgress['phase'], bytes: number) =>
      o.onProgress?.({ layer: desc.digest, index, phase, bytes, total: desc.size });
    const final = layerDir(diffID);
    if (existsSync(final)) return report('exists', desc.size);
    const lock = await lockFile(join(l.locks, `${digestHex(diffID)}.lock`), 'exclusive', o.signal);
    try {
      // Another pull may have finished it while we waited.
      if (existsSync(final)) return report('exists', desc.size);
      if (!hasBlob(l, desc.digest, desc.size)) {
        report('downloading', 0);
        const stream = await source.fetchBlob(desc, { ...(o.signal ? { signal: o.signal } : {}) });
        await putBlobStream(l, desc, stream, (n) => report('downloading', n), o.signal);
      }
      checkAborted(o.signal, `pull of layer ${desc.digest}`);
      report('extracting', 0);
      const tmp = tempName(l.tmp, 'layer');
      mkdirSync(join(tmp, 'diff'), { recursive: true, mode: 0o755 });
      try {
        const got = await extractInto(
          blobPath(l, desc.digest),
          join(tmp, 'diff'),
          desc,
          (n) => report('extracting', n),
          o.signal,
        );
        if (got !== diffID) {
          throw new StoreError(
            'ERR_DIGEST_MISMATCH',
            `layer ${desc.digest} unpacks to ${got}, the config says ${diffID}`,
          );
        }
        // The rename is the commit: a layer directory exists only once complete and synced.
        renameSync(tmp, final);
        fsyncDir(l.layers);
      } catch (e) {
        await runHelper('rm', { root: l.root, paths: [tmp] }, { idmap }).catch(() => {});
        throw e;
      }
      report('done', desc.size);
    } finally {
      lock.release();
    }
  }

  /** Streams the blob, decompressed, into the extractor; returns the diff id it hashed. */
  async function extractInto(
    blob: string,
    target: string,
    desc: Descriptor,
    onBytes: (n: number) => void,
    signal?: AbortSignal,
  ): Promise<string> {
    const compression = sniffCompression(blob);
    // node:zlib on first use: a container started from stored layers never loads it.
    const zlib = process.getBuiltinModule('node:zlib');
    const zstd = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream })
      .createZstdDecompress;
    if (compression === 'zstd' && !zstd) {
      throw new StoreError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        `layer ${desc.digest} is zstd-compressed; this Node.js (${process.version}) cannot decompress zstd (Node 22.15 or later can)`,
      );
    }
    const raw = countBytes(createReadStream(blob), onBytes);
    let plain: Readable = raw;
    if (compression === 'gzip') plain = raw.pipe(zlib.createGunzip());
    else if (compression === 'zstd' && zstd) plain = raw.pipe(zstd()) as unknown as Readable;
    raw.on('error', (e) => plain.destroy(e));
    const diff = hashTap();
    plain.on('error', (e) => diff.destroy(e));
    plain.pipe(diff);
    await runHelper(
      'extract',
      { root: l.root, target },
      { idmap, input: diff, ...(signal ? { signal } : {}) },
    );
    return diff.digest();
  }

  /** Reports bytes read; the blob was verified when it was stored, so it is not hashed again. */
  function countBytes(input: Readable, onBytes: (n: number) => void): Readable {
    let n = 0;
    input.on('data', (chunk: Buffer) => {
      n += chunk.length;
      onBytes(n);
    });
    return input;
  }

  function loadConfig(rec: ImageRecord): ImageConfigLike {
    return JSON.parse(readFileSync(blobPath(l, rec.configDigest), 'utf8')) as ImageConfigLike;
  }

  /** The records of the containers prepareContainer made and cleanup has not removed yet. */
  function containerRecords(): ContainerRecord[] {
    if (!existsSync(l.containers)) return [];
    return readdirSync(l.containers).flatMap((id) => readRecord(id) ?? []);
  }

  /**
   * A container's record; undefined while prepareContainer is making it (or when a crash then,
   * or a power cut, left its directory without one: gc removes those). Removal renames the
   * whole directory away first, so a directory is never seen half removed.
   */
  function readRecord(id: string): ContainerRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(l.containers, id, 'container.json'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  function containerDiffIds(): string[] {
    return containerRecords().flatMap((c) => c.diffIDs);
  }

  /**
   * Removes a container's directory. First renamed into tmp/ (atomic: the record is gone at
   * once, and whatever a crash leaves from here on is tmp garbage that gc and the next pull
   * remove), then taken apart by the user when the container wrote nothing, else removed as root
   * in the user namespace. The shared lock keeps a pull's sweep of tmp/ off it meanwhile.
   */
  function removeContainerDir(dir: string): Promise<void> {
    return withStoreLock('shared', async () => {
      const gone = tempName(l.tmp, 'container');
      try {
        renameSync(dir, gone);
      } catch (e) {
        // Removed already (a second cleanup, or removeContainer meanwhile).
        if ((e as { code?: string }).code === 'ENOENT') return;
        throw e;
      }
      if (removeAsUser(untouchedRemovalSteps(gone))) return;
      // Files of subordinate ids: util-linux unshare (C, a few milliseconds) as root in a user
      // namespace mapping the same host ids; the store's own helper (two Node start-ups) where
      // unshare cannot (an older one, several ranges, a caller's own mapping).
      const args =
        mapping &&
        unshareRemoveArgs(
          mapping.lines,
          { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 },
          basename(gone),
        );
      if (args && (await runUnshare(args, l.tmp)) && !existsSync(gone)) return;
      await runHelper('rm', { root: l.root, paths: [gone] }, { idmap });
    });
  }

  async function collect(): Promise<{ removedBlobs: number; removedLayers: number }> {
    // A container directory without a readable record was being made when its process died
    // (or its record, not fsynced, was lost to a power cut): under the exclusive lock nobody
    // is making one. Moved into tmp, removed with the rest of tmp below.
    for (const id of existsSync(l.containers) ? readdirSync(l.containers) : []) {
      if (!readRecord(id)) renameSync(join(l.containers, id), tempName(l.tmp, 'container'));
    }
    const keep = referenced(readImages(l).images, containerDiffIds());
    let removedBlobs = 0;
    for (const hex of readdirSync(l.blobs)) {
      if (!keep.blobs.has(`sha256:${hex}`)) {
        rmSync(join(l.blobs, hex), { force: true });
        removedBlobs++;
      }
    }
    const doomed = readdirSync(l.layers).filter((hex) => !keep.layers.has(`sha256:${hex}`));
    if (doomed.length > 0) {
      // Rename first (atomic), remove after: a crash midway leaves only tmp entries.
      const moved = doomed.map((hex) => {
        const t = tempName(l.tmp, 'gone');
        renameSync(join(l.layers, hex), t);
        return t;
      });
      await runHelper('rm', { root: l.root, paths: moved }, { idmap });
    }
    for (const f of readdirSync(l.locks)) {
      if (!keep.layers.has(`sha256:${f.replace(/\.lock$/, '')}`))
        rmSync(join(l.locks, f), { force: true });
    }
    await removeTmpEntries();
    return { removedBlobs, removedLayers: doomed.length };
  }

  function pullLocked(source: ImageSource, o: PullOptions): Promise<PullResult> {
    return withStoreLock(
      'shared',
      async () => {
        checkMapping();
        const img = await source.resolve({
          ...(o.platform ? { platform: o.platform } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        });
        if (sha256Digest(img.manifestBytes) !== img.manifestDigest) {
          throw new StoreError(
            'ERR_DIGEST_MISMATCH',
            `${source.name}: manifest does not match ${img.manifestDigest}`,
          );
        }
        if (sha256Digest(img.configBytes) !== img.configDigest) {
          throw new StoreError(
            'ERR_DIGEST_MISMATCH',
            `${source.name}: config does not match ${img.configDigest}`,
          );
        }
        let config: ImageConfigLike;
        try {
          config = JSON.parse(Buffer.from(img.configBytes).toString('utf8')) as ImageConfigLike;
        } catch (e) {
          throw new StoreError('ERR_BAD_IMAGE', `${source.name}: the config is not JSON`, {
            cause: e,
          });
        }
        const diffIDs = config.rootfs?.diff_ids;
        if (!Array.isArray(diffIDs) || diffIDs.length !== img.layers.length) {
          throw new StoreError(
            'ERR_BAD_IMAGE',
            `${source.name}: the config lists ${diffIDs?.length ?? 0} layers, the manifest ${img.layers.length}`,
          );
        }
        for (const d of [...diffIDs, ...img.layers.map((x) => x.digest)]) digestHex(d);
        for (const x of img.layers) {
          if (!LAYER_MEDIA.test(x.mediaType)) {
            throw new StoreError(
              'ERR_UNSUPPORTED_MEDIA_TYPE',
              `${source.name}: layer ${x.digest} has media type ${x.mediaType}`,
            );
          }
        }
        const queue = img.layers.map((desc, i) => ({ desc, i }));
        // The first failure stops the other downloads and extractions (they see an abort) and
        // is the one reported.
        const stop = new AbortController();
        const onAbort = () => stop.abort(o.signal?.reason);
        o.signal?.addEventListener('abort', onAbort, { once: true });
        let firstError: unknown;
        const worker = async () => {
          for (let job = queue.shift(); job; job = queue.shift()) {
            checkAborted(stop.signal, `pull of ${source.name}`);
            await ensureLayer(source, job.desc, diffIDs[job.i]!, job.i, {
              ...o,
              signal: stop.signal,
            });
          }
        };
        const workers = Array.from(
          { length: Math.max(1, Math.min(o.concurrency ?? 3, queue.length)) },
          () =>
            worker().catch((e: unknown) => {
              firstError ??= e;
              stop.abort(e);
            }),
        );
        await Promise.all(workers);
        o.signal?.removeEventListener('abort', onAbort);
        if (firstError !== undefined) {
          if (o.signal?.aborted) {
            throw new StoreError('ERR_ABORTED', `pull of ${source.name} aborted`, {
              cause: o.signal.reason,
            });
          }
          throw firstError;
        }
        const layers: LayerRecord[] = img.layers.map((x, i) => ({
          digest: x.digest,
          diffID: diffIDs[i]!,
          size: x.size,
          mediaType: x.mediaType,
        }));
        putBlobBytes(l, img.manifestDigest, img.manifestBytes);
        putBlobBytes(l, img.configDigest, img.configBytes);
        // The index is written last: it only ever names images whose layers are all in place.
        await updateImages(l, (index) =>
          tagImage(
            index,
            {
              manifestDigest: img.manifestDigest,
              configDigest: img.configDigest,
              layers,
              pulledAt: new Date().toISOString(),
            },
            source.name,
          ),
        );
        return {
          name: source.name,
          manifestDigest: img.manifestDigest,
          configDigest: img.configDigest,
          layers,
        };
      },
      o.signal,
    );
  }

  const store: Store = {
    root: l.root,

    async pull(source, o = {}) {
      ensureDirs();
      await cleanTmp();
      try {
        return await pullLocked(source, o);
      } catch (e) {
        // A failed pull keeps nothing: whatever it stored is unreferenced, and is swept now if
        // no other pull is running (otherwise by the next gc). An aborted pull keeps its
        // verified layers, so that pulling again resumes.
        if ((e as { code?: string }).code !== 'ERR_ABORTED') {
          const excl = tryLockFile(l.storeLock, 'exclusive');
          if (excl) {
            try {
              await collect();
            } catch {
              // The pull's own error is the one to report.
            } finally {
              excl.release();
            }
          }
        }
        throw e;
      }
    },

    list() {
      if (!existsSync(l.index)) return [];
      return readImages(l).images.map((r) => {
        let created: string | undefined;
        try {
          created = loadConfig(r).created;
        } catch {
          created = undefined;
        }
        return {
          names: [...r.names],
          id: digestHex(r.configDigest).slice(0, 12),
          manifestDigest: r.manifestDigest,
          configDigest: r.configDigest,
          size: r.layers.reduce((n, x) => n + x.size, 0),
          ...(created ? { created } : {}),
          pulledAt: r.pulledAt,
        };
      });
    },

    get(ref) {
      const rec = findImage(readImages(l), ref);
      if (!rec)
        throw new StoreError('ERR_IMAGE_NOT_FOUND', `image ${ref} is not in the store (${l.root})`);
      const layerDirs = rec.layers.map((x) => join(layerDir(x.diffID), 'diff'));
      const missing = layerDirs.find((d) => !existsSync(d));
      if (missing)
        throw new StoreError(
          'ERR_IMAGE_NOT_FOUND',
          `image ${ref} lacks layer ${missing}; pull it again`,
        );
      return {
        names: [...rec.names],
        manifestDigest: rec.manifestDigest,
        configDigest: rec.configDigest,
        config: loadConfig(rec),
        diffIDs: rec.layers.map((x) => x.diffID),
        layerDirs,
      };
    },

    remove(ref, o = {}) {
      return withStoreLock('exclusive', async () => {
        const containers = containerRecords();
        const outcome = await updateImages(l, (index) => {
          const rec = findImage(index, ref);
          if (!rec) throw new StoreError('ERR_IMAGE_NOT_FOUND', `image ${ref} is not in the store`);
          if (rec.names.includes(ref) && rec.names.length > 1) {
            rec.names = rec.names.filter((n) => n !== ref);
            return { untagged: [ref], deleted: [] as string[] };
          }
          // Its layers would survive anyway (collection keeps what containers use); refusing
          // is what podman does, and keeps `rmi` from pulling the rug under a `run`.
          const user = containers.find((c) => c.image === rec.manifestDigest);
          if (user && !o.force) {
            throw new StoreError(
              'ERR_IMAGE_IN_USE',
              `image ${ref} is used by container ${user.id}`,
            );
          }
          index.images = index.images.filter((r) => r !== rec);
          return { untagged: [...rec.names], deleted: [rec.manifestDigest] };
        });
        const swept =
          outcome.deleted.length > 0 ? await collect() : { removedBlobs: 0, removedLayers: 0 };
        return { ...outcome, ...swept };
      });
    },

    containers() {
      return containerRecords();
    },

    async removeContainer(id) {
      if (!CONTAINER_ID.test(id)) {
        throw new StoreError(
          'ERR_BAD_CONTAINER_ID',
          `container id ${JSON.stringify(id)} is not a plain name`,
        );
      }
      const dir = join(l.containers, id);
      if (!existsSync(dir))
        throw new StoreError('ERR_CONTAINER_NOT_FOUND', `container ${id} is not in the store`);
      await removeContainerDir(dir);
    },

    gc() {
      return withStoreLock('exclusive', collect);
    },

    overlaySupport() {
      overlayProbe ??= withStoreLock('shared', async () => {
        const scratch = tempName(l.tmp, 'probe');
        mkdirSync(scratch, { mode: 0o700 });
        try {
          const r = await runHelper(
            'probe-overlay',
            { root: l.root, hostScratch: scratch },
            { idmap },
          );
          return r.whiteout === true
            ? { supported: true }
            : {
                supported: false,
                reason: 'overlay in a user namespace does not make whiteouts here',
              };
        } catch (e) {
          return {
            supported: false,
            reason: `overlay in a user namespace failed: ${(e as Error).message}`,
          };
        } finally {
          await runHelper('rm', { root: l.root, paths: [scratch] }, { idmap }).catch(() => {});
        }
      });
      return overlayProbe;
    },

    async prepareContainer(ref, o) {
      if (!CONTAINER_ID.test(o.id)) {
        throw new StoreError(
          'ERR_BAD_CONTAINER_ID',
          `container id ${JSON.stringify(o.id)} must be letters, digits, _ . - (not first), at most 128`,
        );
      }
      let fallbackReason: string | undefined;
      let mode = o.mode === 'overlay' || o.mode === 'copy' ? o.mode : undefined;
      if (!mode) {
        const support = await store.overlaySupport();
        mode = support.supported ? 'overlay' : 'copy';
        fallbackReason = support.reason;
      }
      return withStoreLock('shared', async () => {
        const image = store.get(ref);
        const dir = join(l.containers, o.id);
        try {
          mkdirSync(dir, { mode: 0o700 });
        } catch (e) {
          if ((e as { code?: string }).code === 'EEXIST')
            throw new StoreError(
              'ERR_CONTAINER_EXISTS',
              `container ${o.id} already exists in ${l.containers}`,
            );
          throw e;
        }
        const cleanup = () => removeContainerDir(dir);
        try {
          writeFileAtomic(
            join(dir, 'container.json'),
            JSON.stringify({
              id: o.id,
              image: image.manifestDigest,
              diffIDs: image.diffIDs,
              mode,
              created: new Date().toISOString(),
              pid: process.pid,
            } satisfies ContainerRecord),
            l.tmp,
            0o644,
            // Not fsynced: a record lost to a power cut leaves a directory without one, which
            // gc removes (nothing is made without the shared lock gc excludes).
            { durable: false },
          );
          const top = image.layerDirs.at(-1)!;
          if (mode === 'overlay') {
            const upperdir = join(dir, 'upper');
            const workdir = join(dir, 'work');
            const merged = join(dir, 'merged');
            mkdirSync(merged);
            if (o.upperOwner === 'container') {
              mkdirSync(upperdir, { mode: 0o755 });
              mkdirSync(workdir, { mode: 0o700 });
            } else {
              // Made as root inside, owned like the top layer's root: overlay shows the upper
              // directory's owner and mode on the container's /.
              await runHelper(
                'mkdirs',
                { root: l.root, paths: [upperdir, workdir], like: top },
                { idmap },
              );
            }
            return {
              id: o.id,
              mode,
              lowerdirs: [...image.layerDirs],
              upperdir,
              workdir,
              mergedHint: merged,
              overlayFsconfig: overlayFsconfig({ lowerdirs: image.layerDirs, upperdir, workdir }),
              ...optionsIfTheyFit({ lowerdirs: image.layerDirs, upperdir, workdir }),
              ...(o.upperOwner === 'container' ? { upperOwnerLike: top } : {}),
              cleanup,
            };
          }
          const rootfs = join(dir, 'rootfs');
          await runHelper(
            'copy',
            { root: l.root, target: rootfs, layers: image.layerDirs },
            { idmap },
          );
          return {
            id: o.id,
            mode,
            lowerdirs: [...image.layerDirs],
            mergedHint: rootfs,
            ...(fallbackReason ? { fallbackReason } : {}),
            cleanup,
          };
        } catch (e) {
          await cleanup().catch(() => {});
          throw e;
        }
      });
    },
  };
  return store;
}
