import { capability } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import {
  CAP_NAMES,
  CapabilityError,
  capFromName,
  capMask,
  capName,
  capsIn,
  hasCap,
  lastCap,
  parseProcStatus,
} from '../src/index.js';

describe('names and numbers', () => {
  it("agree with the kernel headers' numbers (@rootless-ts/constants)", () => {
    const fromHeaders = Object.entries(capability as unknown as Record<string, number>)
      .filter(([k]) => /^CAP_[A-Z_]+$/.test(k) && k !== 'CAP_LAST_CAP')
      .sort((a, b) => a[1] - b[1])
      .map(([k]) => k.toLowerCase());
    expect(CAP_NAMES).toEqual(fromHeaders);
    expect(CAP_NAMES.length - 1).toBe(capability.CAP_LAST_CAP);
  });

  it("cover the running kernel's capabilities", () => {
    expect(lastCap()).toBeGreaterThanOrEqual(40);
  });

  it('translate both ways, with numbers for capabilities without a name', () => {
    expect(capName(21)).toBe('cap_sys_admin');
    expect(capName(41)).toBe('41');
    expect(capFromName('cap_sys_admin')).toBe(21);
    expect(capFromName('CAP_SYS_ADMIN')).toBe(21);
    expect(capFromName('sys_admin')).toBe(21);
    expect(capFromName('41')).toBe(41);
    expect(() => capFromName('cap_nope')).toThrow(CapabilityError);
    expect(() => capFromName('64')).toThrow(CapabilityError);
    expect(() => capName(64)).toThrow(CapabilityError);
  });

  it('build and read masks', () => {
    const m = capMask(0, 21, 63);
    expect(m).toBe((1n << 63n) | (1n << 21n) | 1n);
    expect(capsIn(m)).toEqual([0, 21, 63]);
    expect(hasCap(m, 21)).toBe(true);
    expect(hasCap(m, 20)).toBe(false);
  });
});

describe('parseProcStatus', () => {
  it('reads the Cap lines and NoNewPrivs', () => {
    const text = [
      'Name:\tsh',
      'CapInh:\t0000000000000400',
      'CapPrm:\t000001ffffffffff',
      'CapEff:\t000001ffffdfffff',
      'CapBnd:\t000001ffffffffff',
      'CapAmb:\t0000000000000000',
      'NoNewPrivs:\t1',
      '',
    ].join('\n');
    expect(parseProcStatus(text)).toEqual({
      inheritable: 0x400n,
      permitted: 0x1ffffffffffn,
      effective: 0x1ffffdfffffn,
      bounding: 0x1ffffffffffn,
      ambient: 0n,
      noNewPrivs: true,
    });
  });

  it('refuses a status without capabilities', () => {
    expect(() => parseProcStatus('Name:\tsh\n')).toThrow(/no CapInh line/);
  });
});
