import type { Readable } from 'node:stream';
import type { Platform } from './platform.js';
import type { ImageConfig, OciManifest } from './schema.js';

/** A content descriptor: what a manifest says about a blob. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** An image resolved down to one platform's manifest and config. */
export interface ResolvedImage {
  /** Digest of `manifestBytes` (for a registry: what `name@digest` pulls). */
  manifestDigest: string;
  /**
   * The manifest's media type: its own field, else the one it was served or indexed with
   * (OCI manifests may leave the field out).
   */
  manifestMediaType: string;
  manifest: OciManifest;
  manifestBytes: Uint8Array;
  config: ImageConfig;
  configDigest: string;
  configBytes: Uint8Array;
  /** The manifest's layers, base first, with their true media types. */
  layers: Descriptor[];
}

export interface ResolveOptions {
  /** The platform to pick from a manifest list (default: the source's, else the running one). */
  platform?: Platform;
  signal?: AbortSignal;
}

export interface FetchBlobOptions {
  signal?: AbortSignal;
  /** Called as bytes arrive with the total number of the blob's bytes delivered so far. */
  onProgress?: (bytes: number) => void;
}

/** Where images come from: a registry, an OCI layout, an oci-archive or a docker-archive. */
export interface ImageSource {
  /** Canonical display name, e.g. `docker.io/library/alpine:latest` or `oci:/dir:tag`. */
  readonly name: string;
  resolve(opts?: ResolveOptions): Promise<ResolvedImage>;
  /**
   * The blob's bytes exactly as stored (compressed). The stream errors (never ends cleanly)
   * when the size or digest does not match; both are checked while streaming. Safe to call
   * concurrently.
   */
  fetchBlob(desc: Descriptor, opts?: FetchBlobOptions): Promise<Readable>;
  close(): Promise<void>;
}

export interface Credentials {
  username: string;
  password: string;
}

export interface SourceOptions {
  /**
   * Verify registry TLS certificates (default true). false, as podman's `--tls-verify=false`,
   * also allows plain HTTP. Registries on localhost / 127.0.0.0/8 / ::1 may use plain HTTP
   * either way.
   */
  tlsVerify?: boolean;
  /** One auth file to read instead of the default search (podman's `--authfile`). */
  authFile?: string;
  /** Credentials to use instead of any auth file (podman's `--creds`). */
  credentials?: Credentials;
  /** Default platform for `resolve()` (a Platform or `os/arch[/variant]`). */
  platform?: Platform | string;
  /** Retries after a 5xx/429 answer or a failed connection, also mid-blob (default 3). */
  retries?: number;
  /** First delay between retries, doubled each time (default 500 ms). */
  retryDelayMs?: number;
  /** Environment the auth-file search reads (default process.env). */
  env?: Record<string, string | undefined>;
  /** User-Agent header sent to registries. */
  userAgent?: string;
}
