import { createHash, type Hash } from 'node:crypto';
import { ImageError } from './errors.js';

/**
 * Digest algorithms content may be addressed by, with the length of their lowercase hex
 * encoding. The OCI image spec registers exactly these two.
 */
const ALGORITHMS: Record<string, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/** Splits and checks `algorithm:hex`; throws ERR_BAD_DIGEST for anything else. */
export function parseDigest(digest: string): ParsedDigest {
  const i = digest.indexOf(':');
  const algorithm = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  const len = ALGORITHMS[algorithm];
  if (i <= 0 || len === undefined) {
    throw new ImageError(
      'ERR_BAD_DIGEST',
      `${JSON.stringify(digest)}: not a sha256 or sha512 digest`,
    );
  }
  if (hex.length !== len || !/^[0-9a-f]+$/.test(hex)) {
    throw new ImageError(
      'ERR_BAD_DIGEST',
      `${JSON.stringify(digest)}: a ${algorithm} digest is ${len} lowercase hex digits`,
    );
  }
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex };
}

export function isDigest(digest: string): boolean {
  try {
    parseDigest(digest);
    return true;
  } catch {
    return false;
  }
}

/** The sha256 digest of bytes, as `sha256:hex`. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The digest of bytes under the algorithm of `expected` (so a sha512 reference is checked as one). */
export function digestOf(bytes: Uint8Array, expected: string): string {
  const { algorithm } = parseDigest(expected);
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Throws ERR_DIGEST_MISMATCH unless bytes hash to `expected`. */
export function verifyBytes(bytes: Uint8Array, expected: string, what: string): void {
  const actual = digestOf(bytes, expected);
  if (actual !== expected) {
    throw new ImageError(
      'ERR_DIGEST_MISMATCH',
      `${what}: digest ${actual} does not match the expected ${expected}`,
    );
  }
}

/**
 * Counts and hashes bytes as they pass, then checks both against a descriptor. Used by every
 * source so that a blob's consumer never sees the end of a stream whose content is wrong.
 */
export class DigestVerifier {
  private readonly hash: Hash;
  private readonly algorithm: string;
  bytes = 0;

  constructor(
    readonly expectedDigest: string,
    readonly expectedSize: number,
    readonly what: string,
  ) {
    this.algorithm = parseDigest(expectedDigest).algorithm;
    this.hash = createHash(this.algorithm);
  }

  /** Adds a chunk; throws ERR_SIZE_MISMATCH as soon as there are more bytes than expected. */
  update(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.bytes > this.expectedSize) {
      throw new ImageError(
        'ERR_SIZE_MISMATCH',
        `${this.what}: more than the expected ${this.expectedSize} bytes`,
      );
    }
    this.hash.update(chunk);
  }

  /** Checks the total; throws ERR_SIZE_MISMATCH or ERR_DIGEST_MISMATCH. */
  finish(): void {
    if (this.bytes !== this.expectedSize) {
      throw new ImageError(
        'ERR_SIZE_MISMATCH',
        `${this.what}: ${this.bytes} bytes instead of the expected ${this.expectedSize}`,
      );
    }
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expectedDigest) {
      throw new ImageError(
        'ERR_DIGEST_MISMATCH',
        `${this.what}: digest ${actual} does not match the expected ${this.expectedDigest}`,
      );
    }
  }
}
