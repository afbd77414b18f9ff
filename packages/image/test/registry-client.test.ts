import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageError, MEDIA_TYPE, openSource, type SourceOptions } from '../src/index.js';
import { addImage, type FakeRegistry, sha256, startFakeRegistry } from './helpers/fake-registry.js';

/**
 * The registry client against a scripted server on 127.0.0.1: what a real registry cannot be
 * made to do (fail once, cut a blob, serve wrong bytes) is done here.
 */

const servers: FakeRegistry[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function registry(tls?: { key: string; cert: string }): Promise<FakeRegistry> {
  const r = await startFakeRegistry(tls);
  servers.push(r);
  return r;
}

const fast: SourceOptions = { retryDelayMs: 5, env: {} };

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

describe('registry source', () => {
  it('pulls by tag and by digest, layers verified', async () => {
    const reg = await registry();
    const img = addImage(reg, { tag: 'v1' });
    const src = openSource(`docker://${reg.host}/test/img:v1`, fast);
    expect(src.name).toBe(`${reg.host}/test/img:v1`);
    const r = await src.resolve();
    expect(r.manifestDigest).toBe(img.manifestDigest);
    expect(r.layers.map((l) => l.digest)).toEqual(img.layers.map((l) => l.digest));
    expect(r.config.config?.Env).toEqual(['ARCH=amd64']);
    const progress: number[] = [];
    const bytes = await readAll(
      await src.fetchBlob(r.layers[0]!, { onProgress: (n) => progress.push(n) }),
    );
    expect(bytes.equals(img.layers[0]!.bytes)).toBe(true);
    expect(progress.at(-1)).toBe(bytes.length);
    await src.close();
    const byDigest = openSource(`${reg.host}/test/img@${img.manifestDigest}`, fast);
    expect((await byDigest.resolve()).manifestDigest).toBe(img.manifestDigest);
    await byDigest.close();
    expect(reg.log.filter((l) => l.path.includes('/manifests/')).length).toBe(2);
  });

  it('asks for all four manifest types', async () => {
    const reg = await registry();
    addImage(reg, { tag: 'v1' });
    const src = openSource(`${reg.host}/a:v1`, fast);
    await src.resolve();
    const accept = reg.log.find((l) => l.path.includes('/manifests/'))?.accept ?? '';
    for (const t of [
      MEDIA_TYPE.ociIndex,
      MEDIA_TYPE.ociManifest,
      MEDIA_TYPE.dockerManifest,
      MEDIA_TYPE.dockerManifestList,
    ]) {
      expect(accept).toContain(t);
    }
  });

  it('refuses a manifest whose digest is not the one pulled by', async () => {
    const reg = await registry();
    const img = addImage(reg, { tag: 'v1' });
    const wrong = sha256('something else');
    reg.blobs.set(wrong, reg.blobs.get(img.manifestDigest)!);
    const e = await failure(openSource(`${reg.host}/a@${wrong}`, fast).resolve());
    expect(e.code).toBe('ERR_DIGEST_MISMATCH');
    expect(e.message).toContain(wrong);
  });

  it('picks the platform from a manifest list', async () => {
    const reg = await registry();
    const amd = addImage(reg, { tag: 'amd', architecture: 'amd64' });
    const arm = addImage(reg, { tag: 'arm', architecture: 'arm64' });
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPE.dockerManifestList,
        manifests: [
          {
            mediaType: MEDIA_TYPE.dockerManifest,
            digest: amd.manifestDigest,
            size: amd.manifestBytes.length,
            platform: { os: 'linux', architecture: 'amd64' },
          },
          {
            mediaType: MEDIA_TYPE.dockerManifest,
            digest: arm.manifestDigest,
            size: arm.manifestBytes.length,
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
        ],
      }),
    );
    reg.blobs.set(sha256(list), { bytes: list, mediaType: MEDIA_TYPE.dockerManifestList });
    reg.tags.set('multi', sha256(list));
    const a = await openSource(`${reg.host}/m:multi`, {
      ...fast,
      platform: 'linux/arm64',
    }).resolve();
    expect(a.manifestDigest).toBe(arm.manifestDigest);
    expect(a.config.architecture).toBe('arm64');
    const b = await openSource(`${reg.host}/m:multi`, fast).resolve({
      platform: { os: 'linux', architecture: 'amd64' },
    });
    expect(b.manifestDigest).toBe(amd.manifestDigest);
    const e = await failure(
      openSource(`${reg.host}/m:multi`, { ...fast, platform: 'linux/s390x' }).resolve(),
    );
    expect(e.code).toBe('ERR_NO_MATCHING_PLATFORM');
  });

  it('retries a 500 and succeeds', async () => {
    const reg = await registry();
    const img = addImage(reg, { tag: 'v1' });
    reg.hooks.failFirst = 1;
    const src = openSource(`${reg.host}/a:v1`, fast);
    expect((await src.resolve()).manifestDigest).toBe(img.manifestDigest);
  });

  it('gives up after the retries with the status', async () => {
    const reg = await registry();
    addImage(reg, { tag: 'v1' });
    reg.hooks.failFirst = 100;
    const e = await failure(openSource(`${reg.host}/a:v1`, { ...fast, retries: 2 }).resolve());
    expect(e.code).toBe('ERR_REGISTRY');
    expect(e.status).toBe(500);
    expect(reg.log.filter((l) => l.path.includes('manifests')).length).toBe(3);
  });

  for (const ranges of [true, false]) {
    it(`resumes a blob cut mid-way (${ranges ? 'with Range' : 'server ignores Range: restart'})`, async () => {
      const reg = await registry();
      const img = addImage(reg, { tag: 'v1', layerBytes: 300_000 });
      const src = openSource(`${reg.host}/a:v1`, fast);
      const r = await src.resolve();
      reg.hooks.ranges = ranges;
      reg.hooks.dropAfter = { bytes: 65_536, times: 2 };
      const bytes = await readAll(await src.fetchBlob(r.layers[1]!));
      expect(bytes.equals(img.layers[1]!.bytes)).toBe(true);
      const ranged = reg.log.filter((l) => l.range);
      expect(ranged.length).toBe(2);
      expect(ranged[0]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    });
  }

  it('fails cleanly when the connection keeps dropping', async () => {
    const reg = await registry();
    addImage(reg, { tag: 'v1', layerBytes: 300_000 });
    const src = openSource(`${reg.host}/a:v1`, { ...fast, retries: 1 });
    const r = await src.resolve();
    reg.hooks.dropAfter = { bytes: 1000, times: 100 };
    const e = await failure(readAll(await src.fetchBlob(r.layers[0]!)));
    expect(e.code).toBe('ERR_NETWORK');
    expect(e.message).toContain(r.layers[0]!.digest);
  });

  it('a tampered blob errors, naming the digest, and never ends cleanly', async () => {
    const reg = await registry();
    const img = addImage(reg, { tag: 'v1' });
    const src = openSource(`${reg.host}/a:v1`, fast);
    const r = await src.resolve();
    reg.hooks.tamper = img.layers[0]!.digest;
    const stream = await src.fetchBlob(r.layers[0]!);
    let ended = false;
    stream.on('end', () => {
      ended = true;
    });
    const e = await failure(readAll(stream));
    expect(e.code).toBe('ERR_DIGEST_MISMATCH');
    expect(e.message).toContain(img.layers[0]!.digest);
    expect(ended).toBe(false);
  });

  it('a blob longer than its descriptor errors as soon as it overflows', async () => {
    const reg = await registry();
    const img = addImage(reg, { tag: 'v1' });
    const src = openSource(`${reg.host}/a:v1`, fast);
    const r = await src.resolve();
    const short = { ...r.layers[0]!, size: 10 };
    const e = await failure(readAll(await src.fetchBlob(short)));
    expect(e.code).toBe('ERR_SIZE_MISMATCH');
    expect(img).toBeDefined();
  });

  it('uses basic auth from an auth file, and reports refused credentials', async () => {
    const reg = await registry();
    addImage(reg, { tag: 'v1' });
    const good = `Basic ${Buffer.from('u:p').toString('base64')}`;
    reg.hooks.auth = { expect: good, challenge: 'Basic realm="test"' };
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'image-basic-'));
    try {
      const file = join(dir, 'auth.json');
      writeFileSync(
        file,
        JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('u:p').toString('base64') } } }),
      );
      await openSource(`${reg.host}/a:v1`, { ...fast, authFile: file }).resolve();
      expect(reg.log.at(-1)?.authorization).toBe(good);
      const bad = await failure(
        openSource(`${reg.host}/a:v1`, {
          ...fast,
          credentials: { username: 'u', password: 'x' },
        }).resolve(),
      );
      expect(bad.code).toBe('ERR_UNAUTHORIZED');
      const none = await failure(openSource(`${reg.host}/a:v1`, fast).resolve());
      expect(none.message).toMatch(/no credentials were found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gets a bearer token from the challenge realm with the pull scope', async () => {
    const reg = await registry();
    addImage(reg, { tag: 'v1' });
    let tokenQuery = '';
    reg.hooks.token = (req) => {
      tokenQuery = req.url ?? '';
      return { status: 200, body: { token: 'tok123', expires_in: 300 } };
    };
    reg.hooks.auth = {
      expect: 'Bearer tok123',
      challenge: `Bearer realm="${reg.url}/token",service="fake"`,
    };
    const src = openSource(`${reg.host}/ns/a:v1`, fast);
    const r = await src.resolve();
    await readAll(await src.fetchBlob(r.layers[0]!));
    expect(new URL(tokenQuery, 'http://x').searchParams.get('scope')).toBe('repository:ns/a:pull');
    expect(new URL(tokenQuery, 'http://x').searchParams.get('service')).toBe('fake');
    expect(reg.log.filter((l) => l.path === '/token').length).toBe(1);
  });

  it('follows a redirect to blob storage without sending Authorization there', async () => {
    const reg = await registry();
    const storage = await registry();
    const img = addImage(reg, { tag: 'v1' });
    for (const [k, v] of reg.blobs) storage.blobs.set(k, v);
    reg.hooks.auth = {
      expect: `Basic ${Buffer.from('u:p').toString('base64')}`,
      challenge: 'Basic realm="r"',
    };
    reg.hooks.redirectBlobsTo = storage.url;
    const src = openSource(`${reg.host}/a:v1`, {
      ...fast,
      credentials: { username: 'u', password: 'p' },
    });
    const r = await src.resolve();
    const bytes = await readAll(await src.fetchBlob(r.layers[0]!));
    expect(bytes.equals(img.layers[0]!.bytes)).toBe(true);
    expect(storage.log.length).toBeGreaterThan(0);
    expect(storage.log.every((l) => l.authorization === undefined)).toBe(true);
  });

  it('fetchBlob is safe to call concurrently', async () => {
    const reg = await registry();
    const img = addImage(reg, { tag: 'v1' });
    const src = openSource(`${reg.host}/a:v1`, fast);
    const r = await src.resolve();
    const all = await Promise.all(
      [...r.layers, ...r.layers].map(async (l) => readAll(await src.fetchBlob(l))),
    );
    expect(all.map((b) => sha256(b))).toEqual([...img.layers, ...img.layers].map((l) => l.digest));
  });

  it('reports a missing tag as not found', async () => {
    const reg = await registry();
    const e = await failure(openSource(`${reg.host}/a:nope`, fast).resolve());
    expect(e.code).toBe('ERR_NOT_FOUND');
  });

  it('tlsVerify false talks to a registry with an unverifiable certificate; the default refuses it', async () => {
    const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
    const reg = await registry({
      key: readFileSync(join(fixtures, 'tls-127.0.0.1.key'), 'utf8'),
      cert: readFileSync(join(fixtures, 'tls-127.0.0.1.crt'), 'utf8'),
    });
    const img = addImage(reg, { tag: 'v1' });
    const src = openSource(`${reg.host}/a:v1`, { ...fast, tlsVerify: false });
    const r = await src.resolve();
    expect(r.manifestDigest).toBe(img.manifestDigest);
    expect((await readAll(await src.fetchBlob(r.layers[0]!))).equals(img.layers[0]!.bytes)).toBe(
      true,
    );
    await src.close();
    const e = await failure(openSource(`${reg.host}/a:v1`, { ...fast, retries: 0 }).resolve());
    expect(e.code).toBe('ERR_NETWORK');
    expect(e.message).toMatch(/TLS certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  });

  it('an aborted blob download errors as aborted', async () => {
    const reg = await registry();
    addImage(reg, { tag: 'v1', layerBytes: 2_000_000 });
    const src = openSource(`${reg.host}/a:v1`, fast);
    const r = await src.resolve();
    const ac = new AbortController();
    const stream = await src.fetchBlob(r.layers[0]!, {
      signal: ac.signal,
      onProgress: (n) => {
        if (n > 100_000) ac.abort();
      },
    });
    const e = await failure(readAll(stream));
    expect(e.code).toBe('ERR_ABORTED');
  });

  it('never sends credentials in clear text to a token realm on another machine', async () => {
    const reg = await registry();
    addImage(reg, { tag: 'v1' });
    // The realm is never contacted: the refusal comes first (no traffic leaves 127.0.0.1).
    reg.hooks.auth = {
      expect: 'Bearer x',
      challenge: 'Bearer realm="http://token.example.invalid/token"',
    };
    const e = await failure(
      openSource(`${reg.host}/a:v1`, {
        ...fast,
        credentials: { username: 'u', password: 'p' },
      }).resolve(),
    );
    expect(e.code).toBe('ERR_UNAUTHORIZED');
    expect(e.message).toMatch(/over plain HTTP/);
  });

  it('refuses a manifest larger than 4 MiB without reading it whole', async () => {
    const reg = await registry();
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    reg.blobs.set(sha256(huge), { bytes: huge, mediaType: MEDIA_TYPE.ociManifest });
    reg.tags.set('huge', sha256(huge));
    const e = await failure(openSource(`${reg.host}/a:huge`, fast).resolve());
    expect(e.code).toBe('ERR_BAD_MANIFEST');
    expect(e.message).toMatch(/larger than 4194304 bytes/);
  });

  it('an abort before the first byte is reported as aborted too', async () => {
    const reg = await registry();
    addImage(reg, { tag: 'v1' });
    const ac = new AbortController();
    ac.abort();
    const e = await failure(openSource(`${reg.host}/a:v1`, fast).resolve({ signal: ac.signal }));
    expect(e.code).toBe('ERR_ABORTED');
  });
});
