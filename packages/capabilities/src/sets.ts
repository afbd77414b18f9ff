import { CAP_BITS, checkNumber } from './names.js';

/** The three capability sets of a thread, each a 64-bit mask (bit n = capability n). */
export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

/** All 64 bits. */
export const FULL_MASK = (1n << BigInt(CAP_BITS)) - 1n;

/** A mask of the given capabilities. */
export function capMask(...caps: number[]): bigint {
  let m = 0n;
  for (const c of caps) {
    checkNumber(c);
    m |= 1n << BigInt(c);
  }
  return m;
}

/** The mask of capabilities 0 … last. */
export function maskUpTo(last: number): bigint {
  return (1n << BigInt(last + 1)) - 1n;
}

/** The capabilities in a mask, in increasing order. */
export function capsIn(mask: bigint): number[] {
  const out: number[] = [];
  for (let n = 0; n < CAP_BITS; n++) if ((mask >> BigInt(n)) & 1n) out.push(n);
  return out;
}

/** True when capability `cap` is in `mask`. */
export function hasCap(mask: bigint, cap: number): boolean {
  checkNumber(cap);
  return ((mask >> BigInt(cap)) & 1n) === 1n;
}

/** Empty sets: libcap's `=`. */
export function emptySets(): CapSets {
  return { effective: 0n, permitted: 0n, inheritable: 0n };
}
