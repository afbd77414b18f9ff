import { describe, expect, it } from 'vitest';
import { identityMap } from '../src/nest.js';

describe('identityMap', () => {
  it('maps every container id of the outer namespace as itself, in one write', () => {
    const outer =
      '      1100       1001          1\n         0     100000       1100\n      1101     101100      64436\n';
    expect(identityMap(outer)).toBe('1100 1100 1\n0 0 1100\n1101 1101 64436\n');
  });

  it('the single mapping: one id', () => {
    expect(identityMap('         0       1001          1\n')).toBe('0 0 1\n');
  });
});
