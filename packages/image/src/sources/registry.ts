import { Readable } from 'node:stream';
import { DigestVerifier, digestOf, parseDigest, sha256Digest } from '../digest.js';
import { ImageError } from '../errors.js';
import { MAX_MANIFEST_BYTES } from '../manifest.js';
import { MANIFEST_ACCEPT } from '../media-types.js';
import type { Platform } from '../platform.js';
import {
  formatReference,
  type ImageReference,
  registryTarget,
  withDefaultTag,
} from '../reference.js';
import { findCredentials } from '../registry/auth-file.js';
import {
  RegistryClient,
  readBodyLimited,
  registryErrorMessage,
  sleep,
} from '../registry/client.js';
import { abortError, asImageError, collect, resolveImage } from '../resolve.js';
import type {
  Descriptor,
  FetchBlobOptions,
  ImageSource,
  ResolvedImage,
  ResolveOptions,
  SourceOptions,
} from '../source.js';

/** Images in a registry speaking the Distribution API v2 (`docker://REF`). */
export class RegistrySource implements ImageSource {
  readonly name: string;
  readonly reference: ImageReference;
  private readonly client: RegistryClient;
  private readonly repository: string;
  private readonly scope: string;

  constructor(
    ref: ImageReference,
    private readonly opts: Omit<SourceOptions, 'platform'> & { platform?: Platform | undefined },
  ) {
    this.reference = withDefaultTag(ref);
    this.name = formatReference(this.reference);
    const target = registryTarget(this.reference);
    this.repository = target.repository;
    this.scope = `repository:${target.repository}:pull`;
    const credentials =
      opts.credentials ??
      findCredentials(this.reference.domain, this.reference.path, {
        authFile: opts.authFile,
        env: opts.env,
      });
    this.client = new RegistryClient(target.host, {
      tlsVerify: opts.tlsVerify,
      credentials,
      retries: opts.retries,
      retryDelayMs: opts.retryDelayMs,
      userAgent: opts.userAgent ?? 'rootless-ts',
    });
  }

  private async fail(res: Response, what: string): Promise<never> {
    const msg = await registryErrorMessage(res);
    if (res.status === 404)
      throw new ImageError('ERR_NOT_FOUND', `${what}: not found (${msg})`, { status: 404 });
    if (res.status === 401 || res.status === 403) {
      throw new ImageError('ERR_UNAUTHORIZED', `${what}: access denied (${msg})`, {
        status: res.status,
      });
    }
    throw new ImageError('ERR_REGISTRY', `${what}: registry answered ${res.status} (${msg})`, {
      status: res.status,
    });
  }

  /** GET /v2/NAME/manifests/SELECTOR; verifies the bytes when the selector is a digest. */
  async getManifest(
    selector: string,
    signal?: AbortSignal,
  ): Promise<{ bytes: Uint8Array; mediaType?: string; digest: string }> {
    const what = `${this.reference.domain}/${this.repository}${selector.includes(':') ? '@' : ':'}${selector}`;
    const res = await this.client.request(
      `/v2/${this.repository}/manifests/${selector}`,
      this.scope,
      {
        headers: { accept: MANIFEST_ACCEPT },
        signal,
      },
    );
    if (!res.ok) await this.fail(res, what);
    const bytes = await readBodyLimited(res, MAX_MANIFEST_BYTES, what);
    const mediaType = res.headers.get('content-type') ?? undefined;
    let digest: string;
    if (selector.includes(':')) {
      parseDigest(selector);
      const actual = digestOf(bytes, selector);
      if (actual !== selector) {
        throw new ImageError(
          'ERR_DIGEST_MISMATCH',
          `${what}: manifest digest ${actual} does not match the requested ${selector}`,
        );
      }
      digest = selector;
    } else {
      digest = sha256Digest(bytes);
      const claimed = res.headers.get('docker-content-digest');
      if (claimed?.startsWith('sha256:') && claimed !== digest) {
        throw new ImageError(
          'ERR_DIGEST_MISMATCH',
          `${what}: manifest digest ${digest} does not match the registry's ${claimed}`,
        );
      }
    }
    return mediaType === undefined ? { bytes, digest } : { bytes, mediaType, digest };
  }

  async resolve(opts: ResolveOptions = {}): Promise<ResolvedImage> {
    try {
      return await this.resolveUnwrapped(opts);
    } catch (err) {
      throw asImageError(err, this.name, opts.signal);
    }
  }

  private async resolveUnwrapped(opts: ResolveOptions): Promise<ResolvedImage> {
    const selector = registryTarget(this.reference).selector;
    const top = await this.getManifest(selector, opts.signal);
    return resolveImage(
      top,
      {
        manifest: async (desc, signal) => this.getManifest(desc.digest, signal),
        blobBytes: async (desc, max, signal) => {
          if (desc.size > max)
            throw new ImageError(
              'ERR_BAD_MANIFEST',
              `${this.name}: config ${desc.digest} is too large`,
            );
          return collect(
            await this.fetchBlob(desc, signal ? { signal } : {}),
            max,
            `${this.name}: config`,
          );
        },
      },
      this.name,
      opts.platform ?? this.opts.platform,
      opts.signal,
    );
  }

  /**
   * Streams a blob, verified as it passes. When the connection fails mid-blob the rest is asked
   * for with a Range request; a registry that ignores Range sends the whole blob again and the
   * part already delivered is skipped. Either way the digest covers exactly the bytes delivered.
   */
  async fetchBlob(desc: Descriptor, opts: FetchBlobOptions = {}): Promise<Readable> {
    const what = `${this.name}: blob ${desc.digest}`;
    parseDigest(desc.digest);
    const path = `/v2/${this.repository}/blobs/${desc.digest}`;
    const verifier = new DigestVerifier(desc.digest, desc.size, what);
    const { signal, onProgress } = opts;
    const open = async (from: number) => {
      const res = await this.client.request(path, this.scope, {
        // Blobs are already compressed; a transfer encoding fetch would undo silently would
        // change the bytes the digest is checked on.
        headers:
          from > 0
            ? { range: `bytes=${from}-`, 'accept-encoding': 'identity' }
            : { 'accept-encoding': 'identity' },
        signal,
      });
      if (!res.ok) await this.fail(res, what);
      let skip = 0;
      if (from > 0) {
        const range = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
        if (res.status === 206 && range && Number(range[1]) === from) skip = 0;
        else if (res.status === 200) skip = from;
        else {
          await res.body?.cancel();
          throw new ImageError(
            'ERR_REGISTRY',
            `${what}: the registry answered a range request with ${res.status}`,
          );
        }
      }
      return { res, skip };
    };
    const first = await open(0);
    const retries = this.client.retries;
    const retryDelayMs = this.opts.retryDelayMs ?? 500;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      let current: { res: Response; skip: number } | undefined = first;
      for (let attempt = 0; ; ) {
        try {
          current ??= await open(verifier.bytes);
          let skip = current.skip;
          const body = current.res.body as unknown as AsyncIterable<Uint8Array> | null;
          if (body) {
            for await (let chunk of body) {
              if (skip > 0) {
                const n = Math.min(skip, chunk.length);
                skip -= n;
                chunk = chunk.subarray(n);
                if (chunk.length === 0) continue;
              }
              verifier.update(chunk);
              onProgress?.(verifier.bytes);
              yield chunk;
            }
          }
          if (verifier.bytes < desc.size && attempt < retries) {
            // A body that ended early without an error (a proxy cut it): ask for the rest.
            attempt++;
            current = undefined;
            continue;
          }
          break;
        } catch (err) {
          if (signal?.aborted) throw abortError(what, signal);
          if (err instanceof ImageError || attempt >= retries) {
            if (err instanceof ImageError) throw err;
            throw new ImageError(
              'ERR_NETWORK',
              `${what}: connection failed after ${verifier.bytes} bytes (${(err as Error).message})`,
              {
                cause: err,
              },
            );
          }
          attempt++;
          current = undefined;
          await sleep(Math.min(retryDelayMs * 2 ** (attempt - 1), 10_000), signal);
        }
      }
      verifier.finish();
    }
    const stream = Readable.from(chunks(), { objectMode: false });
    return stream;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
