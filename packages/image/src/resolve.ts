import { Readable } from 'node:stream';
import { DigestVerifier, verifyBytes } from './digest.js';
import { ImageError } from './errors.js';
import {
  checkImageManifest,
  chooseManifest,
  MAX_MANIFEST_BYTES,
  parseConfig,
  parseManifest,
} from './manifest.js';
import { hostPlatform, type Platform } from './platform.js';
import type { Descriptor, FetchBlobOptions, ResolvedImage } from './source.js';

/** What the generic resolution needs from a source. */
export interface ManifestFetcher {
  /** The manifest a descriptor (from an index) points at, as raw bytes plus a transport media type. */
  manifest(
    desc: Descriptor,
    signal?: AbortSignal,
  ): Promise<{ bytes: Uint8Array; mediaType?: string }>;
  /** A small blob (the config), verified and read whole. */
  blobBytes(desc: Descriptor, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array>;
}

/**
 * From a source's top-level manifest bytes down to one image: picks the platform's entry when
 * they are an index (verifying the chosen manifest's digest and size), checks the manifest is
 * a runnable image, fetches and checks the config. `explicitPlatform` makes a single-platform
 * image for another platform an error (as `--platform` does); otherwise it is accepted, as
 * podman only warns.
 */
export async function resolveImage(
  top: { bytes: Uint8Array; mediaType?: string; digest: string },
  fetcher: ManifestFetcher,
  what: string,
  platform: Platform | undefined,
  signal?: AbortSignal,
): Promise<ResolvedImage> {
  const wanted = platform ?? hostPlatform();
  let current = top;
  let parsed = parseManifest(top.bytes, top.mediaType, what);
  // An index may point at another index (nested lists are legal); follow a few levels only.
  for (let depth = 0; parsed.kind === 'index'; depth++) {
    if (depth >= 4) throw new ImageError('ERR_BAD_MANIFEST', `${what}: indexes nested too deeply`);
    const desc = chooseManifest(parsed.index, wanted, what);
    if (desc.size > MAX_MANIFEST_BYTES) {
      throw new ImageError(
        'ERR_BAD_MANIFEST',
        `${what}: manifest ${desc.digest} is too large (${desc.size} bytes)`,
      );
    }
    const got = await fetcher.manifest(desc, signal);
    if (got.bytes.length !== desc.size) {
      throw new ImageError(
        'ERR_SIZE_MISMATCH',
        `${what}: manifest ${desc.digest} is ${got.bytes.length} bytes, the index says ${desc.size}`,
      );
    }
    verifyBytes(got.bytes, desc.digest, `${what}: manifest`);
    current = { bytes: got.bytes, mediaType: desc.mediaType, digest: desc.digest };
    parsed = parseManifest(got.bytes, desc.mediaType, `${what} (${desc.digest})`);
  }
  const manifest = parsed.manifest;
  checkImageManifest(manifest, what);
  const configBytes = await fetcher.blobBytes(manifest.config, 16 * 1024 * 1024, signal);
  const config = parseConfig(configBytes, manifest, `${what}: config`, platform);
  return {
    manifestDigest: current.digest,
    manifestMediaType: parsed.mediaType,
    manifest,
    manifestBytes: current.bytes,
    config,
    configDigest: manifest.config.digest,
    configBytes,
    layers: manifest.layers.map(toDescriptor),
  };
}

function toDescriptor(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations) out.annotations = d.annotations;
  return out;
}

/**
 * Wraps chunks in a byte stream that checks size and digest as they pass and errors instead
 * of ending when they are wrong.
 */
export function verifiedStream(
  chunks: AsyncIterable<Uint8Array>,
  desc: Descriptor,
  what: string,
  opts: FetchBlobOptions = {},
): Readable {
  const verifier = new DigestVerifier(desc.digest, desc.size, what);
  async function* run(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of chunks) {
        if (opts.signal?.aborted) throw abortError(what, opts.signal);
        verifier.update(chunk);
        opts.onProgress?.(verifier.bytes);
        yield chunk;
      }
    } catch (err) {
      throw asImageError(err, what, opts.signal);
    }
    verifier.finish();
  }
  return Readable.from(run(), { objectMode: false });
}

/** Reads a stream whole, refusing more than maxBytes. */
export async function collect(
  stream: Readable,
  maxBytes: number,
  what: string,
): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    n += (chunk as Buffer).length;
    if (n > maxBytes) {
      stream.destroy();
      throw new ImageError('ERR_BAD_MANIFEST', `${what}: larger than ${maxBytes} bytes`);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts);
}

export function abortError(what: string, signal: AbortSignal): ImageError {
  return new ImageError('ERR_ABORTED', `${what}: aborted`, { cause: signal.reason });
}

/**
 * Errors that escape from Node (an AbortError, a read error) as ImageErrors, so callers see one
 * kind of error with a code.
 */
export function asImageError(err: unknown, what: string, signal?: AbortSignal): ImageError {
  if (err instanceof ImageError) return err;
  if (signal?.aborted) return abortError(what, signal);
  const e = err as NodeJS.ErrnoException;
  return new ImageError('ERR_BAD_SOURCE', `${what}: ${e?.code ?? e?.message ?? String(err)}`, {
    cause: err,
  });
}
