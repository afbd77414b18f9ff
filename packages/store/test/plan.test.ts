import { describe, expect, it } from 'vitest';
import { chainIds, digestHex, sha256Digest } from '../src/digest.js';
import { findImage, type ImagesIndex, referenced, tagImage } from '../src/images.js';
import { overlayFsconfig, overlayMountData } from '../src/overlay.js';
import { defaultStoreRoot, storeLayout } from '../src/paths.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;

describe('overlayMountData', () => {
  it('lists the layers topmost first and asks for userxattr', () => {
    expect(
      overlayMountData({
        lowerdirs: ['/s/l1', '/s/l2', '/s/l3'],
        upperdir: '/c/u',
        workdir: '/c/w',
      }),
    ).toBe('lowerdir=/s/l3:/s/l2:/s/l1,upperdir=/c/u,workdir=/c/w,userxattr');
  });
  it('refuses paths the option parser would split, relative paths, and data over a page', () => {
    expect(() => overlayMountData({ lowerdirs: ['/a:b'], upperdir: '/u', workdir: '/w' })).toThrow(
      /must be absolute/,
    );
    expect(() => overlayMountData({ lowerdirs: ['/a'], upperdir: 'u', workdir: '/w' })).toThrow(
      /must be absolute/,
    );
    expect(() => overlayMountData({ lowerdirs: [], upperdir: '/u', workdir: '/w' })).toThrow(
      /at least one/,
    );
    const many = Array.from(
      { length: 100 },
      (_, i) => `/home/someone/.local/share/rootless-ts/layers/sha256/${i}`,
    );
    expect(() => overlayMountData({ lowerdirs: many, upperdir: '/u', workdir: '/w' })).toThrow(
      /more than the kernel's 4095/,
    );
  });
});

describe('overlayFsconfig', () => {
  it('adds one lower layer per call, topmost first, with no limit on paths or count', () => {
    expect(
      overlayFsconfig({ lowerdirs: ['/s/l1', '/s/a:b,c'], upperdir: '/c/u', workdir: '/c/w' }),
    ).toEqual([
      { key: 'lowerdir+', value: '/s/a:b,c' },
      { key: 'lowerdir+', value: '/s/l1' },
      { key: 'upperdir', value: '/c/u' },
      { key: 'workdir', value: '/c/w' },
      { key: 'userxattr', flag: true },
    ]);
    expect(
      overlayFsconfig({
        lowerdirs: Array.from({ length: 200 }, (_, i) => `/${'x'.repeat(100)}/${i}`),
        upperdir: '/u',
        workdir: '/w',
      }),
    ).toHaveLength(203);
    expect(() => overlayFsconfig({ lowerdirs: [], upperdir: '/u', workdir: '/w' })).toThrow(
      /at least one/,
    );
  });
});

describe('digests', () => {
  it('takes sha256 digests only', () => {
    expect(digestHex(d('a'))).toBe('a'.repeat(64));
    expect(() => digestHex('sha512:abc')).toThrow(/not a sha256 digest/);
    expect(() => digestHex(`sha256:${'A'.repeat(64)}`)).toThrow();
  });
  it('computes chain ids by the OCI rule', () => {
    const [a, b] = [d('1'), d('2')];
    expect(chainIds([a, b])).toEqual([a, sha256Digest(Buffer.from(`${a} ${b}`))]);
  });
});

describe('paths', () => {
  it('uses XDG_DATA_HOME when absolute, else ~/.local/share', () => {
    expect(defaultStoreRoot({ XDG_DATA_HOME: '/x' }, '/home/u')).toBe('/x/rootless-ts');
    expect(defaultStoreRoot({ XDG_DATA_HOME: 'rel' }, '/home/u')).toBe(
      '/home/u/.local/share/rootless-ts',
    );
    expect(defaultStoreRoot({}, '/home/u')).toBe('/home/u/.local/share/rootless-ts');
    expect(storeLayout('/r').blobs).toBe('/r/blobs/sha256');
  });
});

describe('images index', () => {
  const rec = (m: string, layers: string[]) => ({
    manifestDigest: d(m),
    configDigest: d('c'),
    layers: layers.map((l) => ({ digest: d(l), diffID: d(l), size: 1, mediaType: 't' })),
    pulledAt: 'now',
    names: [] as string[],
  });
  it('moves a name to the newly pulled image and finds images by name, digest or id prefix', () => {
    const index: ImagesIndex = { version: 1, images: [] };
    tagImage(index, rec('a', ['1']), 'x:1');
    tagImage(index, rec('b', ['2']), 'x:1');
    expect(index.images.map((r) => r.names)).toEqual([[], ['x:1']]);
    expect(findImage(index, 'x:1')?.manifestDigest).toBe(d('b'));
    expect(findImage(index, d('a'))?.manifestDigest).toBe(d('a'));
    expect(findImage(index, 'cccc')).toBeUndefined(); // two images share the config: ambiguous
  });
  it('keeps blobs and layers referenced by images and containers', () => {
    const r = referenced([rec('a', ['1', '2'])], [d('9')]);
    expect([...r.layers].sort()).toEqual([d('1'), d('2'), d('9')]);
    expect(r.blobs.has(d('a'))).toBe(true);
  });
});
