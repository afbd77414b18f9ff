import { describe, expect, it } from 'vitest';
import { formatImageTable, humanAge, humanSize, splitName } from '../src/table.js';

describe('images table', () => {
  it('splits names as podman shows them', () => {
    expect(splitName('docker.io/library/alpine:3.20')).toEqual({
      repository: 'docker.io/library/alpine',
      tag: '3.20',
    });
    expect(splitName('localhost:5000/x')).toEqual({
      repository: 'localhost:5000/x',
      tag: 'latest',
    });
    expect(splitName(`a/b@sha256:${'0'.repeat(64)}`)).toEqual({ repository: 'a/b', tag: '<none>' });
  });
  it('prints sizes in SI units and coarse ages', () => {
    expect(humanSize(999)).toBe('999 B');
    expect(humanSize(7_812_345)).toBe('7.81 MB');
    expect(humanSize(1_500_000_000)).toBe('1.5 GB');
    const now = new Date('2026-11-29T12:00:00Z');
    expect(humanAge('2026-11-29T09:00:00Z', now)).toBe('3 hours ago');
    expect(humanAge('2026-11-28T12:00:00Z', now)).toBe('1 day ago');
    expect(humanAge(undefined, now)).toBe('');
  });
  it('lays out one row per name, <none> for untagged images', () => {
    const base = {
      manifestDigest: 'm',
      configDigest: 'c',
      pulledAt: 'p',
      created: '2026-11-29T11:00:00Z',
    };
    const lines = formatImageTable(
      [
        {
          ...base,
          names: ['docker.io/library/alpine:latest', 'localhost/a:1'],
          id: 'aaaaaaaaaaaa',
          size: 3_600_000,
        },
        { ...base, names: [], id: 'bbbbbbbbbbbb', size: 12 },
      ],
      new Date('2026-11-29T12:00:00Z'),
    );
    expect(lines).toEqual([
      'REPOSITORY                TAG     IMAGE ID      CREATED     SIZE',
      'docker.io/library/alpine  latest  aaaaaaaaaaaa  1 hour ago  3.6 MB',
      'localhost/a               1       aaaaaaaaaaaa  1 hour ago  3.6 MB',
      '<none>                    <none>  bbbbbbbbbbbb  1 hour ago  12 B',
    ]);
  });
});

describe('progress lines', () => {
  it('gives one line per layer and phase, none for byte counts', async () => {
    const { progressLine } = await import('../src/progress.js');
    const layer = `sha256:4abcf2066143${'0'.repeat(52)}`;
    const ev = (phase: 'exists' | 'downloading' | 'extracting' | 'done', bytes: number) =>
      progressLine({ layer, index: 0, phase, bytes, total: 10 });
    expect([
      ev('downloading', 0),
      ev('downloading', 5),
      ev('extracting', 0),
      ev('extracting', 10),
      ev('done', 10),
      ev('exists', 10),
    ]).toEqual([
      'Copying blob 4abcf2066143',
      undefined,
      'Extracting blob 4abcf2066143',
      undefined,
      'Copying blob 4abcf2066143 done',
      'Copying blob 4abcf2066143 skipped: already exists',
    ]);
  });
});
