import { describe, expect, it } from 'vitest';
import { getrandom } from '../src/index.js';

describe('getrandom', () => {
  it('fills the length asked, more than one short read allows, with bytes that differ', () => {
    expect(getrandom(0)).toHaveLength(0);
    const a = getrandom(16);
    const b = getrandom(16);
    expect(a).toHaveLength(16);
    expect(a.equals(b)).toBe(false);
    const big = getrandom(100_000);
    expect(big).toHaveLength(100_000);
    // 100 kB of zeros left unfilled would show as a long run of zeros at the end.
    expect(big.subarray(-64).some((x) => x !== 0)).toBe(true);
    expect(() => getrandom(-1)).toThrow(RangeError);
  });
});
