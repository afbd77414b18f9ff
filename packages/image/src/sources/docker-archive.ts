import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { sha256Digest } from '../digest.js';
import { ImageError } from '../errors.js';
import { MAX_CONFIG_BYTES, MAX_MANIFEST_BYTES, parseConfig } from '../manifest.js';
import { MEDIA_TYPE } from '../media-types.js';
import type { Platform } from '../platform.js';
import { formatReference, parseReference, withDefaultTag } from '../reference.js';
import { asImageError, verifiedStream } from '../resolve.js';
import { DockerArchiveManifestSchema, decode, type OciManifest } from '../schema.js';
import type {
  Descriptor,
  FetchBlobOptions,
  ImageSource,
  ResolvedImage,
  ResolveOptions,
} from '../source.js';
import type { LayoutFiles } from './files.js';

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * The entry of a docker-archive's manifest.json a `docker-archive:FILE[:REF]` names: by
 * reference (compared fully qualified, so `alpine` finds `docker.io/library/alpine:latest`),
 * by position (`@N`, as skopeo spells it), or the only one.
 */
export function chooseArchiveEntry<T extends { RepoTags?: string[] | null | undefined }>(
  entries: readonly T[],
  ref: string | undefined,
  where: string,
): T {
  if (ref === undefined) {
    if (entries.length === 1) return entries[0] as T;
    throw new ImageError(
      entries.length === 0 ? 'ERR_NOT_FOUND' : 'ERR_BAD_SOURCE',
      entries.length === 0
        ? `${where}: the archive holds no image`
        : `${where}: holds ${entries.length} images; name one with :REF or :@N`,
    );
  }
  if (/^@\d+$/.test(ref)) {
    const e = entries[Number(ref.slice(1))];
    if (!e) throw new ImageError('ERR_NOT_FOUND', `${where}: no image number ${ref.slice(1)}`);
    return e;
  }
  const want = formatReference(withDefaultTag(parseReference(ref)));
  for (const e of entries) {
    for (const t of e.RepoTags ?? []) {
      try {
        if (formatReference(withDefaultTag(parseReference(t))) === want) return e;
      } catch {
        // A malformed tag in the archive names nothing we could ask for.
      }
    }
  }
  throw new ImageError('ERR_NOT_FOUND', `${where}: no image tagged ${want}`);
}

/**
 * What `docker save` and `podman save` write (and skopeo's docker-archive:): manifest.json, a
 * config and one tar per layer. The image is presented as an OCI manifest built from these;
 * layers are normally uncompressed tars whose digest is their diff id, and say so in their
 * media type; a gzipped layer is hashed once to give it a truthful digest.
 */
export class DockerArchiveSource implements ImageSource {
  /** Layer digest -> member path, filled by resolve(). */
  private readonly blobs = new Map<string, string>();

  constructor(
    readonly name: string,
    private readonly files: LayoutFiles,
    private readonly ref: string | undefined,
    private readonly platform: Platform | undefined,
  ) {}

  async resolve(opts: ResolveOptions = {}): Promise<ResolvedImage> {
    try {
      return await this.resolveUnwrapped(opts);
    } catch (err) {
      throw asImageError(err, this.name, opts.signal);
    }
  }

  private async resolveUnwrapped(opts: ResolveOptions): Promise<ResolvedImage> {
    const what = this.name;
    const entries = decode(
      DockerArchiveManifestSchema,
      await this.files.read('manifest.json', MAX_MANIFEST_BYTES),
      `${what}: manifest.json`,
    );
    const entry = chooseArchiveEntry(entries, this.ref, what);
    const configBytes = await this.files.read(entry.Config, MAX_CONFIG_BYTES);
    const configDigest = sha256Digest(configBytes);
    const layers: Descriptor[] = [];
    const diffIds = decodeDiffIds(configBytes);
    for (const [i, path] of entry.Layers.entries()) {
      const size = await this.files.size(path);
      const head = await this.files.head(path, 2);
      let desc: Descriptor;
      if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
        desc = {
          mediaType: MEDIA_TYPE.ociLayerGzip,
          digest: await this.hash(path, opts.signal),
          size,
        };
      } else {
        const diffId = diffIds[i];
        if (diffId === undefined) {
          throw new ImageError('ERR_BAD_MANIFEST', `${what}: config has no diff id for layer ${i}`);
        }
        desc = { mediaType: MEDIA_TYPE.ociLayer, digest: diffId, size };
      }
      this.blobs.set(desc.digest, path);
      layers.push(desc);
    }
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.ociManifest,
      config: { mediaType: MEDIA_TYPE.ociConfig, digest: configDigest, size: configBytes.length },
      layers: layers.map((l) => ({ ...l })) as OciManifest['layers'],
    };
    const config = parseConfig(
      configBytes,
      manifest,
      `${what}: config`,
      opts.platform ?? this.platform,
    );
    this.blobs.set(configDigest, entry.Config);
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    return {
      manifestDigest: sha256Digest(manifestBytes),
      manifestMediaType: MEDIA_TYPE.ociManifest,
      manifest,
      manifestBytes,
      config,
      configDigest,
      configBytes,
      layers,
    };
  }

  private async hash(path: string, signal?: AbortSignal): Promise<string> {
    const h = createHash('sha256');
    for await (const chunk of await this.files.stream(path, signal)) h.update(chunk);
    return `sha256:${h.digest('hex')}`;
  }

  async fetchBlob(desc: Descriptor, opts: FetchBlobOptions = {}): Promise<Readable> {
    const path = this.blobs.get(desc.digest);
    if (path === undefined) {
      throw new ImageError(
        'ERR_NOT_FOUND',
        `${this.name}: no blob ${desc.digest} (call resolve() first)`,
      );
    }
    return verifiedStream(
      await this.files.stream(path, opts.signal),
      desc,
      `${this.name}: blob ${desc.digest}`,
      opts,
    );
  }

  async close(): Promise<void> {}
}

/** The diff ids, read leniently here; parseConfig validates the whole config afterwards. */
function decodeDiffIds(bytes: Uint8Array): string[] {
  try {
    const c = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      rootfs?: { diff_ids?: unknown };
    };
    const ids = c.rootfs?.diff_ids;
    return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
