import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  parseSubid,
  rangesOf,
  readSubidFile,
  SubidParseError,
  subordinateIds,
} from '../src/index.js';

describe('parseSubid', () => {
  it('reads entries by name and by id, skipping comments and blank lines', () => {
    const text = [
      '# subordinate ids',
      'alice:100000:65536',
      '',
      '   ',
      '1001:300000:1000',
      '  # indented comment',
      'bob:165536:65536',
      'alice:500000:10',
    ].join('\n');
    expect(parseSubid(text, '/etc/subuid')).toEqual([
      { owner: 'alice', start: 100000, count: 65536, line: 2 },
      { owner: '1001', start: 300000, count: 1000, line: 5 },
      { owner: 'bob', start: 165536, count: 65536, line: 7 },
      { owner: 'alice', start: 500000, count: 10, line: 8 },
    ]);
  });

  it('accepts a file without a final newline, and an empty file', () => {
    expect(parseSubid('a:1:2')).toEqual([{ owner: 'a', start: 1, count: 2, line: 1 }]);
    expect(parseSubid('')).toEqual([]);
  });

  it('accepts the largest range that ends below 2^32-1', () => {
    expect(parseSubid('a:100000:4294867295')[0]?.count).toBe(4294867295);
  });

  const malformed: [string, RegExp][] = [
    ['alice:100000', /expected owner:start:count, found 2 field/],
    ['alice:100000:65536:1', /found 4 field/],
    [':100000:65536', /empty owner/],
    ['al ice:1:1', /white space/],
    ['alice:-1:65536', /start "-1" is not a decimal number/],
    ['alice:0x10:65536', /start "0x10"/],
    ['alice:100000:', /count "" is not a decimal/],
    ['alice:100000:6.5', /count "6.5"/],
    ['alice:100000:0', /count is 0/],
    ['alice:4294967290:10', /goes past 4294967294/],
    ['alice:007:1', /start "007"/],
  ];
  for (const [line, reason] of malformed) {
    it(`reports ${JSON.stringify(line)} with file and line number`, () => {
      const text = `# header\nbob:1:1\n${line}\ncarol:5:5\n`;
      let error: unknown;
      try {
        parseSubid(text, '/etc/subgid');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SubidParseError);
      const e = error as SubidParseError;
      expect(e.file).toBe('/etc/subgid');
      expect(e.line).toBe(3);
      expect(e.text).toBe(line);
      expect(e.message).toMatch(/^\/etc\/subgid:3: /);
      expect(e.message).toMatch(reason);
    });
  }
});

describe('rangesOf', () => {
  const entries = parseSubid(
    'alice:100000:65536\nbob:165536:65536\n1000:300000:10\nalice:400000:5\n1000:100000:65536\n',
  );
  it('collects every range of a user by name and by uid, in file order, once each', () => {
    expect(rangesOf(entries, { name: 'alice', uid: 1000 })).toEqual([
      { start: 100000, count: 65536 },
      { start: 300000, count: 10 },
      { start: 400000, count: 5 },
    ]);
  });
  it('finds ranges by name only or by id only', () => {
    expect(rangesOf(entries, { name: 'bob' })).toEqual([{ start: 165536, count: 65536 }]);
    expect(rangesOf(entries, { uid: 1000 })).toEqual([
      { start: 300000, count: 10 },
      { start: 100000, count: 65536 },
    ]);
  });
  it('gives nothing for a user without entries', () => {
    expect(rangesOf(entries, { name: 'nobody', uid: 65534 })).toEqual([]);
  });
});

describe('reading the files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idmap-subid-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('treats a missing file as no entries and reads both files', () => {
    writeFileSync(join(dir, 'subuid'), 'alice:100000:65536\n');
    writeFileSync(join(dir, 'subgid'), 'alice:200000:1000\n');
    expect(readSubidFile(join(dir, 'missing'))).toEqual([]);
    expect(
      subordinateIds(
        { name: 'alice', uid: 1000 },
        { subuid: join(dir, 'subuid'), subgid: join(dir, 'subgid') },
      ),
    ).toEqual({ uids: [{ start: 100000, count: 65536 }], gids: [{ start: 200000, count: 1000 }] });
  });

  it('names the real file in a parse error', () => {
    writeFileSync(join(dir, 'bad'), 'alice:100000:65536\nalice:oops:1\n');
    expect(() => readSubidFile(join(dir, 'bad'))).toThrow(`${join(dir, 'bad')}:2: start "oops"`);
  });
});
