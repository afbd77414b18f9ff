import { StoreError } from './errors.js';

const SHA256 = /^sha256:([a-f0-9]{64})$/;

/** The hex part of a sha256 digest; anything else (other algorithms, bad hex) is refused. */
export function digestHex(digest: string): string {
  const m = SHA256.exec(digest);
  if (!m) throw new StoreError('ERR_BAD_DIGEST', `not a sha256 digest: ${JSON.stringify(digest)}`);
  return m[1]!;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${process.getBuiltinModule('node:crypto').createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Chain ids of layers given their diff ids, lowest first (the OCI image spec's rule:
 * ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))).
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out.at(-1);
    out.push(prev === undefined ? d : sha256Digest(Buffer.from(`${prev} ${d}`)));
  }
  return out;
}
