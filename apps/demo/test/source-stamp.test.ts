import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  decidingFile,
  recordSourceStamp,
  sourceStamp,
  stampedDigest,
  stampKey,
  withStamp,
} from '../src/source-stamp.js';

let t: string;
beforeEach(() => {
  t = mkdtempSync(join(tmpdir(), 'rootless-stamp-'));
});
afterEach(() => {
  rmSync(t, { recursive: true, force: true });
});

describe('decidingFile', () => {
  it("is a layout's index.json, an archive itself, nothing for a registry", () => {
    expect(decidingFile('oci:/a/layout:tag')).toBe('/a/layout/index.json');
    expect(decidingFile('oci:/a/layout')).toBe('/a/layout/index.json');
    expect(decidingFile('oci-archive:/a/x.tar')).toBe('/a/x.tar');
    expect(decidingFile('docker-archive:/a/x.tar:repo/name:1')).toBe('/a/x.tar');
    expect(decidingFile('docker.io/library/alpine:latest')).toBeUndefined();
  });
});

describe('withStamp', () => {
  it('puts the key last, replacing its old record, and keeps at most max records', () => {
    const rec = (n: number) => ({ stamp: `s${n}`, manifestDigest: `d${n}` });
    let s = {};
    for (let i = 0; i < 5; i++) s = withStamp(s, `k${i}`, rec(i), 3);
    expect(Object.keys(s)).toEqual(['k2', 'k3', 'k4']);
    s = withStamp(s, 'k2', rec(9), 3);
    expect(Object.entries(s)).toEqual([
      ['k3', rec(3)],
      ['k4', rec(4)],
      ['k2', rec(9)],
    ]);
  });
});

describe('sourceStamp and the records', () => {
  it('changes when the index is rewritten or replaced, and finds the recorded digest only then', () => {
    const layout = join(t, 'layout');
    mkdirSync(layout);
    const name = `oci:${layout}:x`;
    expect(sourceStamp(name)).toBeUndefined();
    writeFileSync(join(layout, 'index.json'), '{"a":1}');
    const first = sourceStamp(name)!;
    expect(first).toMatch(/^\d+:\d+:7:\d+:\d+$/);
    const key = stampKey(name, undefined);
    recordSourceStamp(t, key, first, 'sha256:one');
    expect(stampedDigest(t, key, first)).toBe('sha256:one');
    // Another platform asked for: another record.
    expect(stampedDigest(t, stampKey(name, 'linux/arm64'), first)).toBeUndefined();
    // Replaced by rename, as image tools write it: another inode, another stamp.
    writeFileSync(join(layout, 'index.tmp'), '{"a":2}');
    renameSync(join(layout, 'index.tmp'), join(layout, 'index.json'));
    const second = sourceStamp(name)!;
    expect(second).not.toBe(first);
    expect(stampedDigest(t, key, second)).toBeUndefined();
    // Rewritten in place with another size.
    writeFileSync(join(layout, 'index.json'), '{"a":30}');
    expect(sourceStamp(name)).not.toBe(second);
  });

  it('treats a damaged record file as no record', () => {
    writeFileSync(join(t, 'source-stamps.json'), 'not json');
    expect(stampedDigest(t, 'k', 's')).toBeUndefined();
    recordSourceStamp(t, 'k', 's', 'sha256:x');
    expect(stampedDigest(t, 'k', 's')).toBe('sha256:x');
  });
});
