import { capability as CAP } from '@rootless-ts/constants';
import { check, fn } from './library.js';
import { layout, readField, writeField } from './structs.js';

/** The three capability sets of a thread, each a 64-bit mask (bit n = capability n). */
export interface CapSets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

const VERSION_3 = () =>
  (CAP as unknown as Record<string, number | undefined>)._LINUX_CAPABILITY_VERSION_3 ?? 0x20080522;

function header(pid: number): Buffer {
  const l = layout('__user_cap_header_struct');
  const buf = Buffer.alloc(l.size);
  writeField(buf, l, 'version', VERSION_3());
  writeField(buf, l, 'pid', pid);
  return buf;
}

// Version 3 uses two consecutive __user_cap_data_struct: [0] holds bits 0-31, [1] bits 32-63.
const SETS = ['effective', 'permitted', 'inheritable'] as const;

/** `capget(2)`: the capability sets of a thread (0 = the caller). */
export function capget(pid = 0): CapSets {
  const l = layout('__user_cap_data_struct');
  const data = Buffer.alloc(l.size * 2);
  check(fn('int capget(void *hdr, void *data)')(header(pid), data), 'capget');
  const lo = data.subarray(0, l.size);
  const hi = data.subarray(l.size);
  const out = { effective: 0n, permitted: 0n, inheritable: 0n };
  for (const s of SETS) out[s] = (readField(hi, l, s) << 32n) | readField(lo, l, s);
  return out;
}

/** `capset(2)`: sets the caller's capability sets (pid must be 0 or the caller's). */
export function capset(sets: CapSets, pid = 0): void {
  const l = layout('__user_cap_data_struct');
  const data = Buffer.alloc(l.size * 2);
  const lo = data.subarray(0, l.size);
  const hi = data.subarray(l.size);
  for (const s of SETS) {
    writeField(lo, l, s, sets[s] & 0xffffffffn);
    writeField(hi, l, s, (sets[s] >> 32n) & 0xffffffffn);
  }
  check(fn('int capset(void *hdr, const void *data)')(header(pid), data), 'capset');
}
