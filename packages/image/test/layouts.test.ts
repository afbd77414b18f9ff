import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageError, MEDIA_TYPE, openSource, parseSourceSpec } from '../src/index.js';
import { indexTar } from '../src/tar-index.js';
import { sha256 } from './helpers/fake-registry.js';
import { makeTar, type TarMember } from './helpers/tar.js';

/** oci:, oci-archive: and docker-archive: sources over files this test writes. */

const root = mkdtempSync(join(tmpdir(), 'image-layouts-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function failure(p: Promise<unknown>): Promise<ImageError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return e as ImageError;
  }
  throw new Error('expected a failure');
}

const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const layerTar = makeTar([{ name: 'etc/hostname', data: 'box\n' }]);
const diffId = sha256(layerTar);
const config = json({
  architecture: 'amd64',
  os: 'linux',
  config: { Cmd: ['/bin/sh'] },
  rootfs: { type: 'layers', diff_ids: [diffId] },
});
const manifest = json({
  schemaVersion: 2,
  config: { mediaType: MEDIA_TYPE.ociConfig, digest: sha256(config), size: config.length },
  layers: [{ mediaType: MEDIA_TYPE.ociLayer, digest: diffId, size: layerTar.length }],
});

/** The members of an OCI layout with one image tagged `tag` (and optionally an untagged second). */
function layoutMembers(extra: { tag?: string; second?: boolean } = {}): TarMember[] {
  const entries = [
    {
      mediaType: MEDIA_TYPE.ociManifest,
      digest: sha256(manifest),
      size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': extra.tag ?? 'v1' },
    },
  ];
  if (extra.second)
    entries.push({ ...entries[0]!, annotations: { 'org.opencontainers.image.ref.name': 'v2' } });
  const blob = (b: Buffer) => `blobs/sha256/${sha256(b).slice(7)}`;
  return [
    { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', data: json({ schemaVersion: 2, manifests: entries }) },
    { name: 'blobs', dir: true },
    { name: blob(manifest), data: manifest },
    { name: blob(config), data: config },
    { name: blob(layerTar), data: layerTar },
  ];
}

function writeLayout(dir: string, members: TarMember[]): void {
  for (const m of members) {
    const p = join(dir, m.name);
    if ('dir' in m) mkdirSync(p, { recursive: true });
    else if ('data' in m) {
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, m.data);
    }
  }
}

describe('source specs', () => {
  it('splits transport, path and name as skopeo does', () => {
    expect(parseSourceSpec('oci:/a/b:tag')).toEqual({ transport: 'oci', path: '/a/b', ref: 'tag' });
    expect(parseSourceSpec('oci:rel', '/cwd')).toEqual({ transport: 'oci', path: '/cwd/rel' });
    expect(parseSourceSpec('docker-archive:/f.tar:x/y:z')).toEqual({
      transport: 'docker-archive',
      path: '/f.tar',
      ref: 'x/y:z',
    });
    expect(parseSourceSpec('docker://alpine')).toMatchObject({
      transport: 'docker',
      reference: { path: 'library/alpine' },
    });
    expect(parseSourceSpec('localhost:5000/x')).toMatchObject({
      transport: 'docker',
      reference: { domain: 'localhost:5000' },
    });
    expect(() => parseSourceSpec('docker:alpine')).toThrow(/docker:\/\/REFERENCE/);
    expect(() => parseSourceSpec('oci:')).toThrow(/missing the path/);
  });
});

describe('oci: layouts', () => {
  const dir = join(root, 'layout');
  writeLayout(dir, layoutMembers({ second: true }));

  it('resolves a tag and streams verified blobs', async () => {
    const src = openSource(`oci:${dir}:v1`);
    expect(src.name).toBe(`oci:${dir}:v1`);
    const img = await src.resolve();
    expect(img.manifestDigest).toBe(sha256(manifest));
    expect(img.manifestMediaType).toBe(MEDIA_TYPE.ociManifest);
    expect(img.config.config?.Cmd).toEqual(['/bin/sh']);
    expect((await readAll(await src.fetchBlob(img.layers[0]!))).equals(layerTar)).toBe(true);
  });

  it('refuses an unknown tag, listing the tags, and an ambiguous bare layout', async () => {
    expect((await failure(openSource(`oci:${dir}:nope`).resolve())).message).toMatch(
      /tags: v1, v2/,
    );
    expect((await failure(openSource(`oci:${dir}`).resolve())).code).toBe('ERR_BAD_SOURCE');
  });

  it('a blob changed on disk fails verification', async () => {
    const other = join(root, 'tampered');
    writeLayout(other, layoutMembers());
    const src = openSource(`oci:${other}`);
    const img = await src.resolve();
    writeFileSync(
      join(other, 'blobs/sha256', diffId.slice(7)),
      Buffer.from(layerTar).fill(1, 600, 601),
    );
    const e = await failure(readAll(await src.fetchBlob(img.layers[0]!)));
    expect(e.code).toBe('ERR_DIGEST_MISMATCH');
    expect(e.message).toContain(diffId);
  });

  it('a missing directory fails with one line', async () => {
    const e = await failure(openSource(`oci:${join(root, 'nope')}`).resolve());
    expect(e.code).toBe('ERR_NOT_FOUND');
    expect(e.message).toMatch(/oci-layout is missing/);
  });
});

describe('oci-archive: and the tar index', () => {
  it('reads a layout straight out of a tar, with ./ prefixes', async () => {
    const file = join(root, 'oci.tar');
    writeFileSync(file, makeTar(layoutMembers().map((m) => ({ ...m, name: `./${m.name}` }))));
    const src = openSource(`oci-archive:${file}:v1`);
    const img = await src.resolve();
    expect((await readAll(await src.fetchBlob(img.layers[0]!))).equals(layerTar)).toBe(true);
  });

  it('reads pax long names and resolves symlinks between members, never outside', async () => {
    const file = join(root, 'links.tar');
    const long = `${'d'.repeat(120)}/file`;
    writeFileSync(
      file,
      makeTar([
        { name: long, data: 'long' },
        { name: 'short', data: 'short' },
        { name: 'a/link', symlink: '../short' },
        { name: 'escape', symlink: '../../../etc/passwd' },
      ]),
    );
    const index = await indexTar(file);
    expect(index.get(long)?.size).toBe(4);
    expect(index.get('a/link')).toEqual(index.get('short'));
    expect(index.get('escape')).toBeUndefined();
  });

  it('refuses a file that is not a tar', async () => {
    const file = join(root, 'garbage.tar');
    writeFileSync(file, Buffer.alloc(2048, 7));
    expect((await failure(openSource(`oci-archive:${file}`).resolve())).code).toBe(
      'ERR_BAD_ARCHIVE',
    );
  });
});

describe('docker-archive:', () => {
  const file = join(root, 'docker.tar');
  writeFileSync(
    file,
    makeTar([
      {
        name: 'manifest.json',
        data: json([
          { Config: 'cfg.json', RepoTags: ['example.com/app:1'], Layers: ['abc/layer.tar'] },
        ]),
      },
      { name: 'cfg.json', data: config },
      { name: 'real/layer.tar', data: layerTar },
      { name: 'abc/layer.tar', symlink: '../real/layer.tar' },
    ]),
  );

  it('presents the image as an OCI manifest of uncompressed layers named by diff id', async () => {
    const src = openSource(`docker-archive:${file}:example.com/app:1`);
    const img = await src.resolve();
    expect(img.layers).toEqual([
      { mediaType: MEDIA_TYPE.ociLayer, digest: diffId, size: layerTar.length },
    ]);
    expect(img.configDigest).toBe(sha256(config));
    expect(img.manifestDigest).toBe(sha256(Buffer.from(img.manifestBytes)));
    expect(JSON.parse(Buffer.from(img.manifestBytes).toString())).toEqual(img.manifest);
    expect((await readAll(await src.fetchBlob(img.layers[0]!))).equals(layerTar)).toBe(true);
    expect((await readAll(await src.fetchBlob({ ...img.manifest.config }))).equals(config)).toBe(
      true,
    );
  });

  it('finds images by short reference or number, and says when there is none', async () => {
    await openSource(`docker-archive:${file}:@0`).resolve();
    await openSource(`docker-archive:${file}`).resolve();
    const e = await failure(openSource(`docker-archive:${file}:example.com/app:2`).resolve());
    expect(e.message).toMatch(/no image tagged example\.com\/app:2/);
  });

  it('a layer that does not hash to its diff id fails while streaming', async () => {
    const bad = join(root, 'bad-docker.tar');
    const changed = Buffer.from(layerTar);
    changed[600] = 0x41;
    writeFileSync(
      bad,
      makeTar([
        { name: 'manifest.json', data: json([{ Config: 'cfg.json', Layers: ['l.tar'] }]) },
        { name: 'cfg.json', data: config },
        { name: 'l.tar', data: changed },
      ]),
    );
    const src = openSource(`docker-archive:${bad}`);
    const img = await src.resolve();
    expect((await failure(readAll(await src.fetchBlob(img.layers[0]!)))).code).toBe(
      'ERR_DIGEST_MISMATCH',
    );
  });

  it('a gzipped layer gets its own digest and a gzip media type', async () => {
    const gz = gzipSync(layerTar);
    const file = join(root, 'gz-docker.tar');
    writeFileSync(
      file,
      makeTar([
        { name: 'manifest.json', data: json([{ Config: 'cfg.json', Layers: ['l.tar.gz'] }]) },
        { name: 'cfg.json', data: config },
        { name: 'l.tar.gz', data: gz },
      ]),
    );
    const src = openSource(`docker-archive:${file}`);
    const img = await src.resolve();
    expect(img.layers).toEqual([
      { mediaType: MEDIA_TYPE.ociLayerGzip, digest: sha256(gz), size: gz.length },
    ]);
    expect((await readAll(await src.fetchBlob(img.layers[0]!))).equals(gz)).toBe(true);
  });
});

describe('hostile archives', () => {
  it('a member name that climbs out stays inside the archive namespace', async () => {
    const file = join(root, 'climb.tar');
    writeFileSync(
      file,
      makeTar([
        { name: 'manifest.json', data: json([{ Config: '../../../../etc/passwd', Layers: [] }]) },
      ]),
    );
    const e = await failure(openSource(`docker-archive:${file}`).resolve());
    expect(e.code).toBe('ERR_NOT_FOUND');
    expect(e.message).toContain('etc/passwd is missing');
  });

  it('a huge pax header is refused, not allocated', async () => {
    const file = join(root, 'pax.tar');
    const tar = makeTar([{ name: 'x', data: Buffer.alloc(2 * 1024 * 1024) }]);
    tar[156] = 'x'.charCodeAt(0);
    // Recompute the header checksum for the changed type flag.
    tar.write('        ', 148);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += tar[i] ?? 0;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    writeFileSync(file, tar);
    const e = await failure(indexTar(file));
    expect(e.code).toBe('ERR_BAD_ARCHIVE');
    expect(e.message).toMatch(/name or pax header/);
  });
});
