import { CapTextError } from './errors.js';
import { CAP_BITS, CAP_NAMES, capName, lastCap } from './names.js';
import { type CapSets, emptySets, maskUpTo } from './sets.js';

/**
 * libcap's text form of capability sets (cap_to_text(3), cap_from_text(3)), reproduced rule for
 * rule from libcap 2.66's cap_text.c so that the strings are the ones getpcaps and capsh print.
 */

export interface TextOptions {
  /**
   * How many capabilities the kernel has (libcap's cap_max_bits(): cap_last_cap + 1). `all` and
   * a bare `=` cover these; in output, bits at or past it are listed by number. Default: the
   * running kernel's.
   */
  kernelCaps?: number;
}

// The flag bits of one capability, in libcap's encoding (1 << CAP_EFFECTIVE, CAP_PERMITTED,
// CAP_INHERITABLE). The values matter: they order the groups in the text and break ties.
const EFF = 1;
const PER = 2;
const INH = 4;

function flagsOf(sets: CapSets, n: number): number {
  const bit = 1n << BigInt(n);
  return (
    ((sets.effective & bit) !== 0n ? EFF : 0) |
    ((sets.inheritable & bit) !== 0n ? INH : 0) |
    ((sets.permitted & bit) !== 0n ? PER : 0)
  );
}

/** Flag letters in libcap's order: e, i, p. */
function letters(f: number): string {
  return `${f & EFF ? 'e' : ''}${f & INH ? 'i' : ''}${f & PER ? 'p' : ''}`;
}

/**
 * The text libcap's cap_to_text gives for these sets: `=` (none), `=ep` (everything the kernel
 * has), `cap_chown,cap_kill+ep`, `=ep cap_sys_admin-e`, … The shortest form libcap picks: the
 * combination of flags most capabilities share becomes the `=…` default (ties go to fewer
 * flags), and every other combination is listed against it; an empty default is dropped by
 * writing the first list as `names=flags`.
 */
export function formatCaps(sets: CapSets, options: TextOptions = {}): string {
  const cmb = options.kernelCaps ?? lastCap() + 1;
  const histo = new Array<number>(8).fill(0);
  for (let n = 0; n < cmb; n++) histo[flagsOf(sets, n)]!++;
  // The most common combination; scanning down from 7 with >= prefers the smaller value, so a
  // tie goes to none, then e, p, ep, i, …
  let m = 7;
  for (let t = 6; t >= 0; t--) if (histo[t]! >= histo[m]!) m = t;

  let out = `=${letters(m)}`;
  for (let t = 7; t >= 0; t--) {
    if (t === m || histo[t] === 0) continue;
    const names: string[] = [];
    for (let n = 0; n < cmb; n++) if (flagsOf(sets, n) === t) names.push(capName(n));
    let clause = names.join(',');
    const plus = t & ~m;
    if (plus) {
      if (out === '=') {
        // libcap's special case: "= foo+e …" is written "foo=e …", equivalent but shorter.
        out = '';
        clause += `=${letters(plus)}`;
      } else {
        clause += `+${letters(plus)}`;
      }
    }
    const minus = ~t & m;
    if (minus) clause += `-${letters(minus)}`;
    out += out === '' ? clause : ` ${clause}`;
  }

  // Bits the kernel does not have (a set read from elsewhere) are only ever listed with +.
  for (let t = 7; t >= 1; t--) {
    const names: string[] = [];
    for (let n = cmb; n < CAP_BITS; n++) if (flagsOf(sets, n) === t) names.push(capName(n));
    if (names.length > 0) out += ` ${names.join(',')}+${letters(t)}`;
  }
  return out;
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
const isAlnum = (c: string | undefined) => c !== undefined && /[A-Za-z0-9]/.test(c);
const isAlpha = (c: string | undefined) => c !== undefined && /[A-Za-z]/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && /[0-9]/.test(c);

/**
 * Parses libcap's text form into sets, accepting what cap_from_text accepts: clauses separated
 * by white space, each `[caps]op flags[op flags…]` where caps is a comma list of names
 * (`cap_chown`, any case), numbers (`21`, `0x15`) or `all`, op is `=`, `+` or `-`, and flags
 * are letters among `e`, `i`, `p`. A clause without caps means all of them and must use `=`.
 * Throws CapTextError where cap_from_text would fail with EINVAL.
 */
export function parseCaps(text: string, options: TextOptions = {}): CapSets {
  const all = maskUpTo((options.kernelCaps ?? lastCap() + 1) - 1);
  const res = emptySets();
  let i = 0;
  const bad = (reason: string): never => {
    throw new CapTextError(text, i, reason);
  };

  for (;;) {
    while (isSpace(text[i])) i++;
    if (i >= text.length) return res;

    let list = 0n;
    let listed = false;
    if (isAlnum(text[i]) || text[i] === '_') {
      for (;;) {
        list |= readCap();
        if (text[i] !== ',') break;
        i++;
        if (!isAlnum(text[i]) && text[i] !== '_') bad('expected a capability after ","');
      }
      listed = true;
    } else if (text[i] === '+' || text[i] === '-') {
      bad(`"${text[i]}" needs a list of capabilities before it`);
    } else {
      list = all;
    }

    let op = text[i++];
    if (op === '=' && (text[i] === '+' || text[i] === '-')) {
      if (!listed) bad(`"=${text[i]}" needs a list of capabilities before it`);
      op = text[i++] === '+' ? 'P' : 'M';
    } else if (op !== '+' && op !== '-' && op !== '=') {
      i--;
      bad('expected "=", "+" or "-"');
    }

    let flags = 0;
    do {
      const c = text[i];
      if (c !== undefined && !isSpace(c)) {
        i++;
        if (c === 'e') flags |= EFF;
        else if (c === 'i') flags |= INH;
        else if (c === 'p') flags |= PER;
        else {
          i--;
          bad(`unknown flag "${c}" (expected e, i or p)`);
        }
      } else if (op !== '=') {
        bad(`"${op}" must be followed by flags`);
      }
      if (op === '=' || op === 'P' || op === 'M') {
        res.effective &= ~list;
        res.permitted &= ~list;
        res.inheritable &= ~list;
      }
      if (op === '=' || op === 'P' || op === '+') {
        if (flags & EFF) res.effective |= list;
        if (flags & PER) res.permitted |= list;
        if (flags & INH) res.inheritable |= list;
      } else {
        if (flags & EFF) res.effective &= ~list;
        if (flags & PER) res.permitted &= ~list;
        if (flags & INH) res.inheritable &= ~list;
      }
      if (text[i] === '+' || text[i] === '-') {
        if (!listed) bad(`"${text[i]}" needs a list of capabilities before it`);
        flags = 0;
        op = text[i++];
        if (!isAlpha(text[i])) bad('expected flags');
      }
    } while (i < text.length && !isSpace(text[i]));
  }

  /** One entry of a capability list: `all`, a number, or a name; advances `i`. */
  function readCap(): bigint {
    const rest = text.slice(i);
    const word = /^[A-Za-z_]*/.exec(rest)![0];
    if (word.toLowerCase() === 'all' && !isAlnum(rest[3]) && rest[3] !== '_') {
      i += 3;
      return all;
    }
    if (isDigit(rest[0])) {
      // strtoul(…, 0): decimal, 0x hexadecimal or 0 octal, as libcap reads numbers.
      const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(rest)!;
      const s = m[0];
      const n = /^0[xX]/.test(s)
        ? Number.parseInt(s.slice(2), 16)
        : s.length > 1
          ? Number.parseInt(s, s.startsWith('0') ? 8 : 10)
          : Number(s);
      if (n >= CAP_BITS) bad(`capability number ${m[0]} is too large`);
      i += m[0].length;
      return 1n << BigInt(n);
    }
    const idx = CAP_NAMES.indexOf(word.toLowerCase());
    // libcap matches the whole word: the next character may not continue a name.
    if (idx < 0 || isAlnum(rest[word.length])) bad(`unknown capability "${word || rest[0]}"`);
    i += word.length;
    return 1n << BigInt(idx);
  }
}
