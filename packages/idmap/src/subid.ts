import { readFileSync } from 'node:fs';
import { SubidParseError } from './errors.js';
import { ID_LIMIT } from './limits.js';

/** One line of /etc/subuid or /etc/subgid: `owner:start:count`. */
export interface SubidEntry {
  /** A login name, or a numeric user id (subuid(5) allows both). */
  owner: string;
  /** First subordinate id. */
  start: number;
  /** How many ids, from `start`. */
  count: number;
  /** 1-based line number, for messages. */
  line: number;
}

/** A range of ids: `start`, `start + 1`, …, `start + count - 1`. */
export interface IdRange {
  start: number;
  count: number;
}

/** Who owns subordinate ids: entries match by login name or by numeric uid. */
export interface SubidOwner {
  name?: string;
  uid?: number;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses the text of /etc/subuid or /etc/subgid. Blank lines and lines starting with `#` are
 * ignored; any other line must be `owner:start:count` with decimal numbers, a count of at least
 * one, and a range that ends below 2^32-1. A malformed line throws a SubidParseError naming the
 * file and line: shadow's tools skip such lines silently, which hides a typo until the day a
 * container runs with a single mapping for no visible reason.
 */
export function parseSubid(text: string, file = '/etc/subuid'): SubidEntry[] {
  const entries: SubidEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const lineNo = i + 1;
    const bad = (reason: string): never => {
      throw new SubidParseError(file, lineNo, reason, raw);
    };
    const fields = trimmed.split(':');
    if (fields.length !== 3) bad(`expected owner:start:count, found ${fields.length} field(s)`);
    const [owner, start, count] = fields as [string, string, string];
    if (owner === '') bad('empty owner');
    if (/\s/.test(owner)) bad('owner contains white space');
    if (!DECIMAL.test(start)) bad(`start ${JSON.stringify(start)} is not a decimal number`);
    if (!DECIMAL.test(count)) bad(`count ${JSON.stringify(count)} is not a decimal number`);
    const s = Number(start);
    const c = Number(count);
    if (c === 0) bad('count is 0');
    if (s + c > ID_LIMIT) bad(`range ${s}+${c} goes past ${ID_LIMIT - 1}, the largest id`);
    entries.push({ owner, start: s, count: c, line: lineNo });
  }
  return entries;
}

/**
 * Reads and parses a subordinate id file. A missing file means nobody has subordinate ids
 * (an empty list), as for shadow's tools; any other read error is thrown as is.
 */
export function readSubidFile(file: string): SubidEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return parseSubid(text, file);
}

/**
 * The ranges that belong to a user, in file order: entries naming the user's login name and
 * entries naming its numeric uid both count (subuid(5)). A range listed twice (once by name,
 * once by uid) is returned once.
 */
export function rangesOf(entries: readonly SubidEntry[], owner: SubidOwner): IdRange[] {
  const uid = owner.uid === undefined ? undefined : String(owner.uid);
  const out: IdRange[] = [];
  for (const e of entries) {
    if (e.owner !== owner.name && e.owner !== uid) continue;
    if (out.some((r) => r.start === e.start && r.count === e.count)) continue;
    out.push({ start: e.start, count: e.count });
  }
  return out;
}

/** Where the subordinate id files are; the defaults are the system's. */
export interface SubidFiles {
  subuid?: string;
  subgid?: string;
}

/** A user's subordinate uid and gid ranges, read from /etc/subuid and /etc/subgid. */
export function subordinateIds(
  owner: SubidOwner,
  files: SubidFiles = {},
): { uids: IdRange[]; gids: IdRange[] } {
  return {
    uids: rangesOf(readSubidFile(files.subuid ?? '/etc/subuid'), owner),
    gids: rangesOf(readSubidFile(files.subgid ?? '/etc/subgid'), owner),
  };
}
