import type { Readable } from 'node:stream';

// The image side (references, manifests, registries, archives) lives in another package; the
// store only needs this shape, declared here so the two packages build independently.

/** A content descriptor: what a manifest says about a blob. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** An image resolved by a source: its manifest, its config, and the layers, lowest first. */
export interface ResolvedImage {
  manifestDigest: string;
  manifest: unknown;
  manifestBytes: Uint8Array;
  config: unknown;
  configDigest: string;
  configBytes: Uint8Array;
  layers: Descriptor[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Where an image comes from (a registry, an OCI layout, an archive). */
export interface ImageSource {
  /** Canonical name, e.g. docker.io/library/alpine:latest. */
  readonly name: string;
  resolve(opts?: { platform?: Platform; signal?: AbortSignal }): Promise<ResolvedImage>;
  /** The blob's bytes as stored (maybe compressed); the stream errors on a size or digest mismatch. */
  fetchBlob(
    desc: Descriptor,
    opts?: { signal?: AbortSignal; onProgress?: (bytes: number) => void },
  ): Promise<Readable>;
  close(): Promise<void>;
}
