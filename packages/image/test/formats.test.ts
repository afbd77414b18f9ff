import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  canDecompress,
  checkImageManifest,
  chooseManifest,
  createLayerDecompressor,
  DigestVerifier,
  formatPlatform,
  hostPlatform,
  ImageError,
  layerCompression,
  MEDIA_TYPE,
  normalizePlatform,
  parseConfig,
  parseDigest,
  parseManifest,
  parsePlatform,
  selectPlatform,
  sha256Digest,
} from '../src/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return (e as ImageError).code;
  }
  return undefined;
}

const enc = (o: unknown) => Buffer.from(JSON.stringify(o));
const desc = (mediaType: string, s: string, extra: object = {}) => ({
  mediaType,
  digest: sha256Digest(s),
  size: s.length,
  ...extra,
});

describe('platforms', () => {
  it('the running platform is what docker defaults to', () => {
    const p = hostPlatform();
    const expected =
      process.arch === 'x64'
        ? { os: 'linux', architecture: 'amd64' }
        : process.arch === 'arm64'
          ? { os: 'linux', architecture: 'arm64', variant: 'v8' }
          : p;
    expect(p).toEqual(expected);
  });

  it('parses os/arch[/variant] and refuses anything else', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
    });
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    for (const bad of ['linux', 'linux/', 'a/b/c/d', 'linux/am d64']) {
      expect(codeOf(() => parsePlatform(bad))).toBe('ERR_BAD_PLATFORM');
    }
  });

  it("normalises like containerd's platforms package", () => {
    const n = (s: string) => formatPlatform(normalizePlatform(parsePlatform(s)));
    expect(n('linux/x86_64')).toBe('linux/amd64');
    expect(n('linux/amd64/v1')).toBe('linux/amd64');
    expect(n('linux/aarch64')).toBe('linux/arm64');
    expect(n('linux/arm64/v8')).toBe('linux/arm64');
    expect(n('linux/arm64/8')).toBe('linux/arm64');
    expect(n('linux/armhf')).toBe('linux/arm/v7');
    expect(n('linux/armel')).toBe('linux/arm/v6');
    expect(n('linux/arm')).toBe('linux/arm/v7');
    expect(n('linux/i386')).toBe('linux/386');
  });

  const entries = [
    { n: 'amd64', platform: { os: 'linux', architecture: 'amd64' } },
    { n: 'arm64', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { n: 'armv6', platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    { n: 'attestation', platform: { os: 'unknown', architecture: 'unknown' } },
    { n: 'none' },
  ];
  it('selects the matching entry, treating arm64 and arm64/v8 alike', () => {
    expect(selectPlatform(entries, parsePlatform('linux/amd64'))?.n).toBe('amd64');
    expect(selectPlatform(entries, parsePlatform('linux/arm64'))?.n).toBe('arm64');
    expect(selectPlatform(entries, parsePlatform('linux/aarch64/v8'))?.n).toBe('arm64');
  });
  it('an arm/v7 machine takes a v6 image, not the reverse', () => {
    expect(selectPlatform(entries, parsePlatform('linux/arm/v7'))?.n).toBe('armv6');
    expect(selectPlatform(entries, parsePlatform('linux/arm/v5'))).toBeUndefined();
    expect(selectPlatform(entries, parsePlatform('linux/s390x'))).toBeUndefined();
  });
});

describe('manifests', () => {
  const config = desc(MEDIA_TYPE.ociConfig, '{}');
  const layer = desc(MEDIA_TYPE.ociLayerGzip, 'layer');
  const oci = {
    schemaVersion: 2 as const,
    mediaType: MEDIA_TYPE.ociManifest,
    config,
    layers: [layer],
  };

  it('decodes the four types, by their own field, the transport, or their shape', () => {
    expect(parseManifest(enc(oci), undefined, 'm').kind).toBe('manifest');
    const docker = { ...oci, mediaType: MEDIA_TYPE.dockerManifest };
    expect(parseManifest(enc(docker), MEDIA_TYPE.dockerManifest, 'm')).toMatchObject({
      kind: 'manifest',
      mediaType: MEDIA_TYPE.dockerManifest,
    });
    const { mediaType: _, ...bare } = oci;
    expect(parseManifest(enc(bare), MEDIA_TYPE.ociManifest, 'm').mediaType).toBe(
      MEDIA_TYPE.ociManifest,
    );
    expect(parseManifest(enc(bare), 'application/json', 'm').mediaType).toBe(
      MEDIA_TYPE.ociManifest,
    );
    const list = { schemaVersion: 2, mediaType: MEDIA_TYPE.dockerManifestList, manifests: [] };
    expect(parseManifest(enc(list), undefined, 'm').kind).toBe('index');
    expect(parseManifest(enc({ schemaVersion: 2, manifests: [] }), undefined, 'm')).toMatchObject({
      kind: 'index',
      mediaType: MEDIA_TYPE.ociIndex,
    });
  });

  it('refuses schema 1, malformed JSON, wrong field types and bad digests, naming the field', () => {
    expect(codeOf(() => parseManifest(enc({ schemaVersion: 1, name: 'x' }), undefined, 'm'))).toBe(
      'ERR_UNSUPPORTED_MANIFEST',
    );
    expect(codeOf(() => parseManifest(Buffer.from('{'), undefined, 'm'))).toBe('ERR_BAD_MANIFEST');
    const badSize = { ...oci, layers: [{ ...layer, size: -1 }] };
    expect(() => parseManifest(enc(badSize), undefined, 'm')).toThrow(/layers\.0\.size/);
    const badDigest = { ...oci, config: { ...config, digest: 'sha256:../../etc/passwd' } };
    expect(() => parseManifest(enc(badDigest), undefined, 'm')).toThrow(/config\.digest/);
    const lying = { ...oci, mediaType: MEDIA_TYPE.dockerManifest };
    expect(() => parseManifest(enc(lying), MEDIA_TYPE.ociManifest, 'm')).toThrow(/served as/);
  });

  it('chooses an index entry or lists what there is', () => {
    const index = {
      schemaVersion: 2 as const,
      manifests: [
        desc(MEDIA_TYPE.ociManifest, 'a', { platform: { os: 'linux', architecture: 'amd64' } }),
        desc(MEDIA_TYPE.ociManifest, 'b', {
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        }),
      ],
    };
    expect(chooseManifest(index, parsePlatform('linux/arm64'), 'x').digest).toBe(sha256Digest('b'));
    expect(() => chooseManifest(index, parsePlatform('linux/riscv64'), 'x')).toThrow(
      /no image for linux\/riscv64 \(it has linux\/amd64, linux\/arm64\/v8\)/,
    );
  });

  it('checks the config against the manifest', () => {
    const cfg = {
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/bin/sh'], Cmd: null, Env: ['A=1'], WorkingDir: '/w', User: '1:2' },
      rootfs: { type: 'layers', diff_ids: [sha256Digest('tar')] },
    };
    const c = parseConfig(enc(cfg), oci, 'c');
    expect(c.config?.Entrypoint).toEqual(['/bin/sh']);
    expect(c.config?.User).toBe('1:2');
    expect(() =>
      parseConfig(enc({ ...cfg, rootfs: { type: 'layers', diff_ids: [] } }), oci, 'c'),
    ).toThrow(/0 diff ids for 1 layers/);
    expect(() => parseConfig(enc({ ...cfg, config: { Env: 'A=1' } }), oci, 'c')).toThrow(
      /config\.Env/,
    );
    expect(codeOf(() => parseConfig(enc(cfg), oci, 'c', parsePlatform('linux/arm64')))).toBe(
      'ERR_NO_MATCHING_PLATFORM',
    );
  });
});

describe('layer media types', () => {
  it('knows gzip and uncompressed layers, and refuses foreign and unknown ones', () => {
    expect(layerCompression(MEDIA_TYPE.dockerLayerGzip)).toBe('gzip');
    expect(layerCompression(MEDIA_TYPE.ociLayer)).toBe('none');
    expect(layerCompression(MEDIA_TYPE.ociLayerZstd)).toBe('zstd');
    expect(codeOf(() => layerCompression(MEDIA_TYPE.dockerForeignLayerGzip))).toBe(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    expect(codeOf(() => layerCompression('text/plain'))).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('a zstd image is refused up front where Node cannot decompress it, and an artifact always', () => {
    const zstdManifest = {
      schemaVersion: 2 as const,
      config: desc(MEDIA_TYPE.ociConfig, '{}'),
      layers: [desc(MEDIA_TYPE.ociLayerZstd, 'z')],
    };
    if (canDecompress(MEDIA_TYPE.ociLayerZstd)) {
      expect(() => checkImageManifest(zstdManifest, 'img')).not.toThrow();
    } else {
      expect(() => checkImageManifest(zstdManifest, 'img')).toThrow(
        /zstd-compressed .* needs Node\.js >= 22\.15/,
      );
    }
    const artifact = {
      ...zstdManifest,
      config: desc('application/vnd.example.thing+json', '{}'),
      layers: [],
    };
    expect(() => checkImageManifest(artifact, 'img')).toThrow(/not a container image/);
  });

  it('gunzips gzip layers', async () => {
    const { gzipSync } = await import('node:zlib');
    const out: Buffer[] = [];
    for await (const c of Readable.from([gzipSync('hello')]).pipe(
      createLayerDecompressor(MEDIA_TYPE.ociLayerGzip),
    )) {
      out.push(c as Buffer);
    }
    expect(Buffer.concat(out).toString()).toBe('hello');
  });
});

describe('digests', () => {
  it('parses sha256 and sha512 only, lowercase', () => {
    expect(parseDigest(sha256Digest('x')).algorithm).toBe('sha256');
    for (const bad of ['md5:abc', 'sha256:ABC', `sha256:${'a'.repeat(63)}`, 'sha256', ':']) {
      expect(codeOf(() => parseDigest(bad))).toBe('ERR_BAD_DIGEST');
    }
  });

  it('the verifier catches extra bytes at once, and short or wrong content at the end', () => {
    const v1 = new DigestVerifier(sha256Digest('abc'), 3, 'b');
    v1.update(Buffer.from('abc'));
    expect(() => v1.finish()).not.toThrow();
    const v2 = new DigestVerifier(sha256Digest('abc'), 3, 'b');
    expect(codeOf(() => v2.update(Buffer.from('abcd')))).toBe('ERR_SIZE_MISMATCH');
    const v3 = new DigestVerifier(sha256Digest('abc'), 3, 'b');
    v3.update(Buffer.from('ab'));
    expect(codeOf(() => v3.finish())).toBe('ERR_SIZE_MISMATCH');
    const v4 = new DigestVerifier(sha256Digest('abc'), 3, 'b');
    v4.update(Buffer.from('abd'));
    expect(() => v4.finish()).toThrow(
      /digest sha256:[0-9a-f]{64} does not match the expected sha256:/,
    );
  });
});
