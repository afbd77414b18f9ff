import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildTestImages,
  processesOf,
  removeTree,
  runNodeAs,
  skopeoCopy,
  startRegistry,
  type TestImages,
  type TestRegistry,
  type TestUser,
  testUser,
  userTempDir,
} from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_TYPE } from '../src/index.js';
import { type MisbehavingProxy, startProxy } from './helpers/proxy.js';

/**
 * End to end against Debian's docker-registry on 127.0.0.1, with images built by umoci from
 * busybox-static and pushed by skopeo; every pull runs as the unprivileged test user through
 * test/fixtures/pull.mjs (the built package).
 */

const here = dirname(fileURLToPath(import.meta.url));
const pullFixture = join(here, 'fixtures', 'pull.mjs');

interface PullResult {
  name: string;
  manifestDigest: string;
  manifestMediaType?: string;
  configDigest: string;
  architecture: string;
  config: Record<string, unknown>;
  layers: { digest: string; size: number; mediaType: string; received: string; bytes: number }[];
  error?: { code: string; message: string };
}

let user: TestUser;
let dir: string;
let images: TestImages;
let reg: TestRegistry;
const cleanups: (() => Promise<void>)[] = [];
/** Scratch directories of the registries this file started (their config paths name them). */
const registryDirs: string[] = [];

/** The manifest and config of a tag in the layout the images were built in: the ground truth. */
function layoutImage(tag: string): { digest: string; layers: string[]; diffIds: string[] } {
  const blob = (d: string) => join(images.layout, 'blobs', ...d.split(':'));
  const index = JSON.parse(readFileSync(join(images.layout, 'index.json'), 'utf8'));
  const entry = index.manifests.find(
    (m: { annotations?: Record<string, string> }) =>
      m.annotations?.['org.opencontainers.image.ref.name'] === tag,
  );
  const manifest = JSON.parse(readFileSync(blob(entry.digest), 'utf8'));
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'));
  return {
    digest: entry.digest,
    layers: manifest.layers.map((l: { digest: string }) => l.digest),
    diffIds: config.rootfs.diff_ids,
  };
}

async function pull(spec: string, options: object = {}): Promise<PullResult> {
  const r = await runNodeAs(user, pullFixture, [spec, JSON.stringify(options)], {
    timeoutMs: 120_000,
  });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{'))
    throw new Error(`pull.mjs printed no result (exit ${r.code}): ${r.stderr}`);
  const out = JSON.parse(line) as PullResult;
  expect(r.code).toBe(out.error ? 125 : 0);
  return out;
}

function expectVerified(out: PullResult): void {
  expect(out.error).toBeUndefined();
  expect(out.layers.length).toBe(3);
  for (const l of out.layers) {
    expect(l.received).toBe(l.digest);
    expect(l.bytes).toBe(l.size);
  }
}

beforeAll(async () => {
  user = testUser();
  dir = userTempDir(user, 'rootless-image-e2e-');
  images = await buildTestImages(user, dir);
  reg = await startRegistry(user);
  registryDirs.push(reg.dir);
  cleanups.push(() => reg.stop());
  const oci = `oci:${images.layout}:${images.tag}`;
  await skopeoCopy(user, oci, `docker://${reg.host}/test/busybox:oci`, { format: 'oci' });
  await skopeoCopy(user, oci, `docker://${reg.host}/test/busybox:docker`, { format: 'v2s2' });
  await skopeoCopy(
    user,
    `oci:${images.layout}:${images.multiTag}`,
    `docker://${reg.host}/test/busybox:multi`,
    {
      all: true,
    },
  );
  await skopeoCopy(user, oci, `oci-archive:${join(dir, 'oci.tar')}:${images.tag}`);
  await skopeoCopy(user, oci, `docker-archive:${join(dir, 'docker.tar')}:test/busybox:saved`);
}, 300_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  if (dir) removeTree(dir);
  // Nothing of ours may outlive the tests: no registry process, no scratch directory.
  const left = processesOf(user).filter((p) => p.command.includes('docker-registry'));
  expect(left.filter((p) => registryDirs.some((d) => p.command.includes(d)))).toEqual([]);
  for (const d of registryDirs) expect(existsSync(d)).toBe(false);
  expect(existsSync(dir)).toBe(false);
});

describe('a real registry', () => {
  it('pulls an OCI image by tag, then the same by digest', async () => {
    const truth = layoutImage(images.tag);
    const byTag = await pull(`docker://${reg.host}/test/busybox:oci`);
    expectVerified(byTag);
    expect(byTag.name).toBe(`${reg.host}/test/busybox:oci`);
    expect(byTag.manifestMediaType).toBe(MEDIA_TYPE.ociManifest);
    expect(byTag.layers.map((l) => l.digest)).toEqual(truth.layers);
    expect(byTag.config).toMatchObject({
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo hello from the image'],
      WorkingDir: '/work',
      User: '1000:1000',
    });
    expect(byTag.config.Env).toContain('GREETING=hello');
    const byDigest = await pull(`${reg.host}/test/busybox@${byTag.manifestDigest}`);
    expectVerified(byDigest);
    expect(byDigest.manifestDigest).toBe(byTag.manifestDigest);
  });

  it('pulls a Docker schema 2 image', async () => {
    const out = await pull(`${reg.host}/test/busybox:docker`);
    expectVerified(out);
    expect(out.manifestMediaType).toBe(MEDIA_TYPE.dockerManifest);
    expect(out.layers.every((l) => l.mediaType === MEDIA_TYPE.dockerLayerGzip)).toBe(true);
  });

  it('picks each platform of a manifest list', async () => {
    const host = await pull(`${reg.host}/test/busybox:multi`);
    expectVerified(host);
    expect(host.architecture).toBe(process.arch === 'arm64' ? 'arm64' : 'amd64');
    const otherSpec = `linux/${images.otherArchitecture}`;
    const other = await pull(`${reg.host}/test/busybox:multi`, { platform: otherSpec });
    expectVerified(other);
    expect(other.architecture).toBe(images.otherArchitecture);
    expect(other.manifestDigest).not.toBe(host.manifestDigest);
    const none = await pull(`${reg.host}/test/busybox:multi`, { platform: 'linux/s390x' });
    expect(none.error?.code).toBe('ERR_NO_MATCHING_PLATFORM');
  });

  it('says a missing tag is not found', async () => {
    const out = await pull(`${reg.host}/test/busybox:nope`);
    expect(out.error?.code).toBe('ERR_NOT_FOUND');
    expect(out.error?.message).toContain(`${reg.host}/test/busybox:nope`);
  });
});

describe('a registry with a certificate nobody trusts', () => {
  it('is used with tlsVerify false and refused by default, naming the reason', async () => {
    const tls = await startRegistry(user, { tls: true });
    registryDirs.push(tls.dir);
    cleanups.push(() => tls.stop());
    await skopeoCopy(
      user,
      `oci:${images.layout}:${images.tag}`,
      `docker://${tls.host}/test/busybox:tls`,
    );
    const ok = await pull(`${tls.host}/test/busybox:tls`, { tlsVerify: false });
    expectVerified(ok);
    const refused = await pull(`${tls.host}/test/busybox:tls`, { retries: 0 });
    expect(refused.error?.code).toBe('ERR_NETWORK');
    expect(refused.error?.message).toMatch(/TLS certificate not trusted/);
  });
});

describe('registry authentication', () => {
  const creds = { username: 'tester', password: 's3cret pass' };

  function authFile(host: string, password = creds.password): string {
    const file = join(dir, `auth-${host.replace(/[^0-9]/g, '')}-${password.length}.json`);
    const auth = Buffer.from(`${creds.username}:${password}`).toString('base64');
    writeFileSync(file, JSON.stringify({ auths: { [host]: { auth } } }));
    if (process.getuid?.() === 0) chownSync(file, user.uid, user.gid);
    return file;
  }

  for (const kind of ['htpasswd', 'token'] as const) {
    it(`pulls through ${kind === 'htpasswd' ? 'htpasswd basic auth' : 'a bearer token'} with an auth file, refuses without`, async () => {
      const secured = await startRegistry(user, { auth: { kind, ...creds } });
      registryDirs.push(secured.dir);
      cleanups.push(() => secured.stop());
      await skopeoCopy(
        user,
        `oci:${images.layout}:${images.tag}`,
        `docker://${secured.host}/private/busybox:1`,
        {
          destCreds: `${creds.username}:${creds.password}`,
        },
      );
      const spec = `${secured.host}/private/busybox:1`;
      const ok = await pull(spec, { authFile: authFile(secured.host) });
      expectVerified(ok);
      const anonymous = await pull(spec, { env: { HOME: dir } });
      expect(anonymous.error?.code).toBe('ERR_UNAUTHORIZED');
      const wrong = await pull(spec, { authFile: authFile(secured.host, 'wrong') });
      expect(wrong.error?.code).toBe('ERR_UNAUTHORIZED');
      if (kind === 'token') {
        const pulls = secured.tokenRequests.filter((t) =>
          t.scope.includes('repository:private/busybox:pull'),
        );
        expect(pulls.some((t) => t.user === creds.username)).toBe(true);
      }
    });
  }
});

describe('a misbehaving connection to the registry', () => {
  let proxy: MisbehavingProxy;
  beforeAll(async () => {
    proxy = await startProxy(Number(reg.host.split(':')[1]));
    cleanups.push(() => proxy.close());
  });
  const biggest = () => {
    const truth = layoutImage(images.tag);
    return truth.layers[0] as string; // busybox itself, about 1 MiB gzipped
  };

  it('a blob whose bytes do not match its digest fails, naming the digest', async () => {
    const digest = biggest();
    proxy.tricks.tamper = { path: `/blobs/${digest}` };
    const out = await pull(`${proxy.host}/test/busybox:oci`);
    proxy.tricks.tamper = undefined;
    expect(out.error?.code).toBe('ERR_DIGEST_MISMATCH');
    expect(out.error?.message).toContain(digest);
  });

  it('a 500 once, then 200: the pull succeeds', async () => {
    proxy.tricks.fail500 = { path: '/manifests/', times: 1 };
    const before = proxy.log.length;
    const out = await pull(`${proxy.host}/test/busybox:oci`);
    expectVerified(out);
    expect(proxy.log.slice(before).filter((l) => l.status === 500).length).toBe(1);
  });

  it('a connection dropped mid-blob is resumed with a Range request', async () => {
    const digest = biggest();
    proxy.tricks.drop = { path: `/blobs/${digest}`, afterBytes: 100_000, times: 1 };
    const before = proxy.log.length;
    const out = await pull(`${proxy.host}/test/busybox:oci`);
    expectVerified(out);
    const ranged = proxy.log.slice(before).filter((l) => l.path.includes(digest) && l.range);
    // One ranged request for the rest, starting wherever the delivered bytes ended (the client may
    // not have read all of the 100000 sent before the cut).
    expect(ranged).toHaveLength(1);
    const start = Number(/^bytes=(\d+)-$/.exec(ranged[0]?.range ?? '')?.[1]);
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThanOrEqual(100_000);
  });

  it('a connection that keeps dropping fails cleanly after the retries', async () => {
    const digest = biggest();
    proxy.tricks.drop = { path: `/blobs/${digest}`, afterBytes: 1000, times: 100 };
    const out = await pull(`${proxy.host}/test/busybox:oci`, { retries: 0 });
    proxy.tricks.drop = undefined;
    expect(out.error?.code).toBe('ERR_NETWORK');
    expect(out.error?.message).toContain(digest);
  });
});

describe('layouts and archives written by skopeo', () => {
  it('oci:DIR:TAG', async () => {
    const truth = layoutImage(images.tag);
    const out = await pull(`oci:${images.layout}:${images.tag}`);
    expectVerified(out);
    expect(out.name).toBe(`oci:${images.layout}:${images.tag}`);
    expect(out.manifestDigest).toBe(truth.digest);
    expect(out.layers.map((l) => l.digest)).toEqual(truth.layers);
    expect(out.config.Entrypoint).toEqual(['/bin/sh', '-c']);
  });

  it('oci:DIR:TAG of an index picks the platform', async () => {
    const out = await pull(`oci:${images.layout}:${images.multiTag}`, {
      platform: `linux/${images.otherArchitecture}`,
    });
    expectVerified(out);
    expect(out.architecture).toBe(images.otherArchitecture);
  });

  it('oci:DIR with several images and no tag asks for one', async () => {
    const out = await pull(`oci:${images.layout}`);
    expect(out.error?.code).toBe('ERR_BAD_SOURCE');
    expect(out.error?.message).toMatch(/name one with :TAG/);
  });

  it('oci-archive:FILE[:TAG]', async () => {
    const truth = layoutImage(images.tag);
    for (const spec of [
      `oci-archive:${join(dir, 'oci.tar')}:${images.tag}`,
      `oci-archive:${join(dir, 'oci.tar')}`,
    ]) {
      const out = await pull(spec);
      expectVerified(out);
      expect(out.layers.map((l) => l.digest)).toEqual(truth.layers);
    }
  });

  it('docker-archive:FILE[:REF]: uncompressed layers addressed by their diff ids', async () => {
    const truth = layoutImage(images.tag);
    for (const spec of [
      `docker-archive:${join(dir, 'docker.tar')}`,
      `docker-archive:${join(dir, 'docker.tar')}:test/busybox:saved`,
      `docker-archive:${join(dir, 'docker.tar')}:@0`,
    ]) {
      const out = await pull(spec);
      expectVerified(out);
      expect(out.manifestMediaType).toBe(MEDIA_TYPE.ociManifest);
      expect(out.layers.map((l) => l.digest)).toEqual(truth.diffIds);
      expect(out.layers.every((l) => l.mediaType === MEDIA_TYPE.ociLayer)).toBe(true);
      expect(out.config.WorkingDir).toBe('/work');
    }
    const missing = await pull(`docker-archive:${join(dir, 'docker.tar')}:other:tag`);
    expect(missing.error?.code).toBe('ERR_NOT_FOUND');
  });

  it('a file that is not an archive fails with one line', async () => {
    const out = await pull(`oci-archive:${join(images.layout, 'index.json')}`);
    expect(out.error?.code).toBe('ERR_BAD_ARCHIVE');
  });
});
