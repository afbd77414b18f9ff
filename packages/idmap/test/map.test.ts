import { describe, expect, it } from 'vitest';
import {
  computeIdMap,
  formatIdMap,
  formatProcIdMap,
  helperArgs,
  type IdMap,
  IdMapError,
  MAX_ID,
  mappedCount,
  parseIdMap,
  singleIdMap,
  toContainerId,
  toHostId,
  validateIdMap,
} from '../src/index.js';

const lines = (map: IdMap) => formatIdMap(map).trimEnd().split('\n');

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof IdMapError) return e.code;
    throw e;
  }
  return undefined;
}

describe('computeIdMap: the rule of step 4', () => {
  it("gives the seed's example exactly", () => {
    const map = computeIdMap({
      hostId: 1001,
      containerId: 1100,
      ranges: [{ start: 100000, count: 65536 }],
    });
    expect(lines(map)).toEqual(['1100 1001 1', '0 100000 1100', '1101 101100 64436']);
  });

  it('defaults the container id to 1100', () => {
    expect(computeIdMap({ hostId: 1001, ranges: [{ start: 100000, count: 65536 }] })).toEqual(
      computeIdMap({ hostId: 1001, containerId: 1100, ranges: [{ start: 100000, count: 65536 }] }),
    );
  });

  it('maps the user to root with container id 0, ranges from 1', () => {
    const map = computeIdMap({
      hostId: 1001,
      containerId: 0,
      ranges: [{ start: 100000, count: 65536 }],
    });
    expect(lines(map)).toEqual(['0 1001 1', '1 100000 65536']);
  });

  it('maps no own id with containerId null: ranges start at 0 without a gap', () => {
    const map = computeIdMap({
      hostId: 1001,
      containerId: null,
      ranges: [
        { start: 100000, count: 1000 },
        { start: 300000, count: 500 },
      ],
    });
    expect(lines(map)).toEqual(['0 100000 1000', '1000 300000 500']);
    expect(toHostId(map, 1001)).toBe(300001);
    expect(toContainerId(map, 1001)).toBeUndefined();
  });

  it('fills across several ranges in order, splitting the one that straddles the own id', () => {
    const map = computeIdMap({
      hostId: 1001,
      containerId: 1100,
      ranges: [
        { start: 100000, count: 1000 },
        { start: 300000, count: 500 },
        { start: 500000, count: 10 },
      ],
    });
    expect(lines(map)).toEqual([
      '1100 1001 1',
      '0 100000 1000',
      '1000 300000 100',
      '1101 300100 400',
      '1501 500000 10',
    ]);
    expect(mappedCount(map)).toBe(1511);
  });

  it('needs no split when the own id lies past every range, or on a range boundary', () => {
    expect(
      lines(computeIdMap({ hostId: 5, containerId: 9999, ranges: [{ start: 100, count: 10 }] })),
    ).toEqual(['9999 5 1', '0 100 10']);
    expect(
      lines(
        computeIdMap({
          hostId: 5,
          containerId: 10,
          ranges: [
            { start: 100, count: 10 },
            { start: 200, count: 10 },
          ],
        }),
      ),
    ).toEqual(['10 5 1', '0 100 10', '11 200 10']);
  });

  it('reaches 2^32-2 exactly, and no further, when the user owns every other id', () => {
    // Valid host ranges hold at most 2^32-2 ids besides the user's own, and the container side
    // has exactly that many ids once the user's is taken: the rule can always place them all.
    const map = computeIdMap({
      hostId: MAX_ID,
      containerId: 1100,
      ranges: [{ start: 0, count: MAX_ID }],
    });
    expect(lines(map)).toEqual([`1100 ${MAX_ID} 1`, '0 0 1100', `1101 1100 ${MAX_ID - 1100}`]);
    const last = map[map.length - 1]!;
    expect(last.containerId + last.count - 1).toBe(MAX_ID);
  });

  it('allows the own id at the very top', () => {
    const map = computeIdMap({ hostId: 1, containerId: MAX_ID, ranges: [{ start: 10, count: 5 }] });
    expect(lines(map)).toEqual([`${MAX_ID} 1 1`, '0 10 5']);
  });

  it('rejects a container id outside what can be mapped', () => {
    const r = [{ start: 100000, count: 10 }];
    expect(codeOf(() => computeIdMap({ hostId: 1, containerId: MAX_ID + 1, ranges: r }))).toBe(
      'ERR_ID_RANGE',
    );
    expect(codeOf(() => computeIdMap({ hostId: 1, containerId: -1, ranges: r }))).toBe(
      'ERR_ID_RANGE',
    );
    expect(codeOf(() => computeIdMap({ hostId: 1, containerId: 1.5, ranges: r }))).toBe(
      'ERR_ID_RANGE',
    );
    expect(codeOf(() => computeIdMap({ hostId: 2 ** 32, ranges: r }))).toBe('ERR_ID_RANGE');
  });

  it('rejects overlapping subordinate ranges, and a range holding the user itself', () => {
    expect(
      codeOf(() =>
        computeIdMap({
          hostId: 1,
          ranges: [
            { start: 100000, count: 100 },
            { start: 100050, count: 100 },
          ],
        }),
      ),
    ).toBe('ERR_ID_OVERLAP');
    expect(
      codeOf(() => computeIdMap({ hostId: 100005, ranges: [{ start: 100000, count: 10 }] })),
    ).toBe('ERR_ID_OVERLAP');
  });

  it('rejects more than 340 lines', () => {
    const ranges = Array.from({ length: 340 }, (_, i) => ({ start: 10 + 2 * i, count: 1 }));
    expect(computeIdMap({ hostId: 1, containerId: null, ranges })).toHaveLength(340);
    expect(codeOf(() => computeIdMap({ hostId: 1, containerId: 5000, ranges }))).toBe(
      'ERR_ID_TOO_MANY',
    );
  });

  it('rejects a map whose text reaches a page, though it has fewer than 340 lines', () => {
    // 200 lines of 3 ten-digit numbers are 6400 bytes: the kernel's write would fail.
    const ranges = Array.from({ length: 200 }, (_, i) => ({
      start: 3_000_000_000 + 2 * i,
      count: 1,
    }));
    const map = ranges.map((r, i) => ({
      containerId: 1_000_000_000 + i,
      hostId: r.start,
      count: 1,
    }));
    expect(codeOf(() => validateIdMap(map))).toBe('ERR_ID_TOO_MANY');
  });
});

describe('validateIdMap', () => {
  it('accepts a valid map and rejects empty maps, bad counts, overflow and overlap', () => {
    expect(() => validateIdMap([{ containerId: 0, hostId: 1000, count: 1 }])).not.toThrow();
    expect(codeOf(() => validateIdMap([]))).toBe('ERR_ID_EMPTY');
    expect(codeOf(() => validateIdMap([{ containerId: 0, hostId: 1, count: 0 }]))).toBe(
      'ERR_ID_RANGE',
    );
    expect(codeOf(() => validateIdMap([{ containerId: MAX_ID, hostId: 1, count: 2 }]))).toBe(
      'ERR_ID_RANGE',
    );
    expect(codeOf(() => validateIdMap([{ containerId: 0, hostId: MAX_ID, count: 2 }]))).toBe(
      'ERR_ID_RANGE',
    );
    expect(
      codeOf(() =>
        validateIdMap([
          { containerId: 0, hostId: 100, count: 10 },
          { containerId: 9, hostId: 200, count: 1 },
        ]),
      ),
    ).toBe('ERR_ID_OVERLAP');
  });
});

describe('text forms and translation', () => {
  const map = computeIdMap({ hostId: 1001, ranges: [{ start: 100000, count: 65536 }] });

  it('formats for the helper and for the kernel', () => {
    expect(helperArgs(map)).toEqual([
      '1100',
      '1001',
      '1',
      '0',
      '100000',
      '1100',
      '1101',
      '101100',
      '64436',
    ]);
    expect(formatProcIdMap(map)).toBe(
      '      1100       1001          1\n         0     100000       1100\n      1101     101100      64436\n',
    );
  });

  it('orders the kernel form by container id past 5 lines, as the kernel does', () => {
    const many = Array.from({ length: 6 }, (_, i) => ({
      containerId: 60 - 10 * i,
      hostId: 1000 + i,
      count: 1,
    }));
    expect(parseIdMap(formatProcIdMap(many)).map((l) => l.containerId)).toEqual([
      10, 20, 30, 40, 50, 60,
    ]);
    expect(parseIdMap(formatProcIdMap(many.slice(0, 5))).map((l) => l.containerId)).toEqual([
      60, 50, 40, 30, 20,
    ]);
  });

  it('parses what it formats, and rejects garbage', () => {
    expect(parseIdMap(formatProcIdMap(map))).toEqual(map);
    expect(parseIdMap(formatIdMap(map))).toEqual(map);
    expect(parseIdMap('')).toEqual([]);
    expect(codeOf(() => parseIdMap('0 1000\n'))).toBe('ERR_MAP_READ');
  });

  it('translates ids both ways', () => {
    expect(toHostId(map, 1100)).toBe(1001);
    expect(toHostId(map, 0)).toBe(100000);
    expect(toHostId(map, 1099)).toBe(101099);
    expect(toHostId(map, 1101)).toBe(101100);
    expect(toHostId(map, 65536)).toBe(165535);
    expect(toHostId(map, 65537)).toBeUndefined();
    expect(toContainerId(map, 1001)).toBe(1100);
    expect(toContainerId(map, 101100)).toBe(1101);
    expect(toContainerId(map, 0)).toBeUndefined();
  });

  it('makes the single mapping of step 2', () => {
    expect(singleIdMap(1001)).toEqual([{ containerId: 0, hostId: 1001, count: 1 }]);
    expect(singleIdMap(1001, 1100)).toEqual([{ containerId: 1100, hostId: 1001, count: 1 }]);
  });
});
