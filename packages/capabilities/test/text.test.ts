import { describe, expect, it } from 'vitest';
import {
  type CapSets,
  CapTextError,
  capMask,
  formatCaps,
  maskUpTo,
  parseCaps,
} from '../src/index.js';

// Fixed at 41 (Linux 5.9+, libcap 2.66) so these examples do not depend on the machine.
const K = { kernelCaps: 41 };
const ALL = maskUpTo(40);
const sets = (effective: bigint, permitted: bigint, inheritable = 0n): CapSets => ({
  effective,
  permitted,
  inheritable,
});
const CHOWN = 0;
const KILL = 5;
const SYS_ADMIN = 21;

describe('formatCaps: the strings libcap prints', () => {
  const cases: [string, CapSets][] = [
    ['=', sets(0n, 0n)],
    ['=ep', sets(ALL, ALL)],
    ['=eip', sets(ALL, ALL, ALL)],
    ['cap_chown,cap_kill+ep', sets(capMask(CHOWN, KILL), capMask(CHOWN, KILL))],
    ['cap_chown,cap_kill=ep', sets(capMask(CHOWN, KILL), capMask(CHOWN, KILL))],
    ['=ep cap_sys_admin-e', sets(ALL & ~capMask(SYS_ADMIN), ALL)],
    ['cap_sys_admin=i', sets(0n, 0n, capMask(SYS_ADMIN))],
    ['cap_sys_admin=i cap_chown+p', sets(0n, capMask(CHOWN), capMask(SYS_ADMIN))],
    ['=p cap_kill+e', sets(capMask(KILL), ALL)],
    ['=ep cap_chown-ep', sets(ALL & ~capMask(CHOWN), ALL & ~capMask(CHOWN))],
    ['=ep cap_kill+i', sets(ALL, ALL, capMask(KILL))],
  ];
  // The first and fourth cases are the same sets: only the canonical one is what libcap prints.
  const canonical: Record<string, string> = { 'cap_chown,cap_kill+ep': 'cap_chown,cap_kill=ep' };

  for (const [text, s] of cases) {
    it(`${text} parses and formats back`, () => {
      expect(parseCaps(text, K)).toEqual(s);
      expect(formatCaps(s, K)).toBe(canonical[text] ?? text);
    });
  }

  it('breaks a tie between default combinations toward the lower flag value', () => {
    const low20 = maskUpTo(19); // cap_chown … cap_sys_ptrace
    // 20 with ep, 20 with none, cap_sys_pacct with e only: none wins the tie.
    expect(formatCaps(sets(low20 | capMask(20), low20), K)).toMatch(
      /^cap_chown,.*,cap_sys_ptrace=ep cap_sys_pacct\+e$/,
    );
    // 20 with ep, 20 with p, cap_sys_pacct with none: p (2) wins over ep (3).
    expect(formatCaps(sets(low20, ALL & ~capMask(20)), K)).toMatch(
      /^=p cap_chown,.*,cap_sys_ptrace\+e cap_sys_pacct-p$/,
    );
  });

  it('lists groups from the most flags down, each against the default', () => {
    // Groups go by libcap's value of their flags (e=1, p=2, i=4), highest first.
    const s = sets(capMask(CHOWN), capMask(CHOWN, KILL), capMask(KILL, SYS_ADMIN));
    expect(formatCaps(s, K)).toBe('cap_kill=ip cap_sys_admin+i cap_chown+ep');
  });

  it('names capabilities the kernel has past libcap by number, and lists unknown bits with +', () => {
    // A kernel with 43 capabilities: 41 and 42 are in "=ep" but have no names.
    expect(formatCaps(sets(maskUpTo(42), maskUpTo(42)), { kernelCaps: 43 })).toBe('=ep');
    expect(formatCaps(sets(maskUpTo(40), maskUpTo(42)), { kernelCaps: 43 })).toBe('=ep 41,42-e');
    // Bits past the kernel's last are never part of the default.
    expect(formatCaps(sets(ALL | capMask(50), ALL | capMask(50)), K)).toBe('=ep 50+ep');
    expect(formatCaps(sets(capMask(45), 0n, capMask(63)), K)).toBe('= 63+i 45+e');
  });
});

describe('parseCaps: what cap_from_text accepts', () => {
  it('applies clauses in order, with = + and - and several operators in one clause', () => {
    expect(parseCaps('cap_chown+e cap_chown+p', K)).toEqual(sets(capMask(CHOWN), capMask(CHOWN)));
    expect(parseCaps('=ep cap_chown-e+i', K)).toEqual(
      sets(ALL & ~capMask(CHOWN), ALL, capMask(CHOWN)),
    );
    expect(parseCaps('all=ep', K)).toEqual(sets(ALL, ALL));
    expect(parseCaps('ALL=EP'.replace('EP', 'ep'), K)).toEqual(sets(ALL, ALL));
    expect(parseCaps('=ep cap_kill=', K)).toEqual(sets(ALL & ~capMask(KILL), ALL & ~capMask(KILL)));
    expect(parseCaps('cap_kill=ep cap_kill=+i', K)).toEqual(sets(0n, 0n, capMask(KILL)));
    expect(parseCaps('cap_kill=ep cap_kill=-i', K)).toEqual(sets(0n, 0n));
    expect(parseCaps('  CAP_Chown,5,0x15+ep  ', K)).toEqual(
      sets(capMask(CHOWN, KILL, SYS_ADMIN), capMask(CHOWN, KILL, SYS_ADMIN)),
    );
    expect(parseCaps('010+e', K)).toEqual(sets(capMask(8), 0n));
    expect(parseCaps('', K)).toEqual(sets(0n, 0n));
    expect(parseCaps('=', K)).toEqual(sets(0n, 0n));
  });

  it('covers only the kernel capabilities with all and a bare =', () => {
    expect(parseCaps('=ep', { kernelCaps: 38 }).effective).toBe(maskUpTo(37));
  });

  const refused: [string, number][] = [
    ['+ep', 0],
    ['cap_chown', 9],
    ['cap_chown+', 10],
    ['cap_chown+x', 10],
    ['cap_nope+e', 0],
    ['cap_chown,+e', 10],
    ['cap_chown2+e', 0],
    ['=+e', 1],
    ['64+e', 0],
    ['=ep -e', 4],
    ['cap_chown+e-', 12],
  ];
  for (const [text, position] of refused) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      let err: unknown;
      try {
        parseCaps(text, K);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CapTextError);
      expect((err as CapTextError).position).toBe(position);
      expect((err as CapTextError).text).toBe(text);
    });
  }
});
