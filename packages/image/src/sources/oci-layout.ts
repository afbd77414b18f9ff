import type { Readable } from 'node:stream';
import { parseDigest } from '../digest.js';
import { ImageError } from '../errors.js';
import { MAX_MANIFEST_BYTES } from '../manifest.js';
import { isIndexMediaType } from '../media-types.js';
import type { Platform } from '../platform.js';
import { asImageError, collect, resolveImage, verifiedStream } from '../resolve.js';
import { decode, IndexSchema, OciLayoutSchema } from '../schema.js';
import type {
  Descriptor,
  FetchBlobOptions,
  ImageSource,
  ResolvedImage,
  ResolveOptions,
} from '../source.js';
import type { LayoutFiles } from './files.js';

/** The annotation an OCI layout's index.json names its images by (skopeo's `oci:DIR:TAG`). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** The path of a blob inside an OCI layout. */
export function blobPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

/**
 * The index.json entry an `oci:DIR[:TAG]` names: the one annotated with the tag, or the only
 * entry when no tag is given (as skopeo and podman choose).
 */
export function chooseLayoutEntry(
  manifests: readonly Descriptor[],
  tag: string | undefined,
  where: string,
): Descriptor {
  if (tag !== undefined) {
    const hits = manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] === tag);
    if (hits.length === 1) return hits[0] as Descriptor;
    if (hits.length > 1)
      throw new ImageError('ERR_BAD_SOURCE', `${where}: more than one image is tagged ${tag}`);
    const tags = manifests
      .map((m) => m.annotations?.[REF_NAME_ANNOTATION])
      .filter((t) => t !== undefined);
    throw new ImageError(
      'ERR_NOT_FOUND',
      `${where}: no image tagged ${tag}${tags.length ? ` (tags: ${tags.join(', ')})` : ''}`,
    );
  }
  if (manifests.length === 1) return manifests[0] as Descriptor;
  if (manifests.length === 0)
    throw new ImageError('ERR_NOT_FOUND', `${where}: the layout holds no image`);
  throw new ImageError(
    'ERR_BAD_SOURCE',
    `${where}: holds ${manifests.length} images; name one with :TAG`,
  );
}

/** An OCI image layout, in a directory (`oci:`) or a tar of one (`oci-archive:`). */
export class OciLayoutSource implements ImageSource {
  constructor(
    readonly name: string,
    private readonly files: LayoutFiles,
    private readonly tag: string | undefined,
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
    const layout = decode(
      OciLayoutSchema,
      await this.files.read('oci-layout', 64 * 1024),
      `${what}: oci-layout`,
    );
    if (layout.imageLayoutVersion !== '1.0.0') {
      throw new ImageError(
        'ERR_BAD_SOURCE',
        `${what}: unsupported image layout version ${layout.imageLayoutVersion}`,
      );
    }
    const index = decode(
      IndexSchema,
      await this.files.read('index.json', MAX_MANIFEST_BYTES),
      `${what}: index.json`,
    );
    const entry = chooseLayoutEntry(index.manifests, this.tag, what);
    const bytes = await this.readManifest(entry, opts.signal);
    const fetcher = {
      manifest: async (desc: Descriptor, signal?: AbortSignal) => ({
        bytes: await this.readManifest(desc, signal),
        mediaType: desc.mediaType,
      }),
      blobBytes: async (desc: Descriptor, max: number, signal?: AbortSignal) =>
        collect(
          await this.fetchBlob(desc, signal ? { signal } : {}),
          max,
          `${what}: blob ${desc.digest}`,
        ),
    };
    return resolveImage(
      { bytes, mediaType: entry.mediaType, digest: entry.digest },
      fetcher,
      what,
      opts.platform ?? this.platform,
      opts.signal,
    );
  }

  private async readManifest(desc: Descriptor, signal?: AbortSignal): Promise<Uint8Array> {
    if (desc.size > MAX_MANIFEST_BYTES) {
      throw new ImageError(
        'ERR_BAD_MANIFEST',
        `${this.name}: manifest ${desc.digest} is too large`,
      );
    }
    const kind = isIndexMediaType(desc.mediaType) ? 'index' : 'manifest';
    return collect(
      await this.fetchBlob(desc, signal ? { signal } : {}),
      MAX_MANIFEST_BYTES,
      `${this.name}: ${kind} ${desc.digest}`,
    );
  }

  async fetchBlob(desc: Descriptor, opts: FetchBlobOptions = {}): Promise<Readable> {
    const chunks = await this.files.stream(blobPath(desc.digest), opts.signal);
    return verifiedStream(chunks, desc, `${this.name}: blob ${desc.digest}`, opts);
  }

  async close(): Promise<void> {}
}
