import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSign, X509Certificate } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, get as httpGet, type IncomingMessage, type Server } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { removeTree, userTempDir } from './host.js';
import { runAs, STANDARD_PATH } from './run.js';
import type { TestUser } from './users.js';

/*
 * A real registry for end-to-end tests: Debian's docker-registry (the CNCF distribution
 * registry) on 127.0.0.1 at a free port, run as the test user with its storage in a temporary
 * directory, optionally behind htpasswd basic auth or bearer tokens from a token server this
 * process runs. Images are built with umoci from busybox-static and pushed with skopeo.
 */

const REGISTRY_BIN = '/usr/bin/docker-registry';
const SETUP_HINT = 'run tools/setup-host.sh as root';
const READY_TIMEOUT_MS = 20_000;
const TOKEN_SERVICE = 'rootless-test-registry';
const TOKEN_ISSUER = 'rootless-testkit';
const BCRYPT_TEST_COST = 4;

export type RegistryAuth =
  | { kind: 'htpasswd'; username: string; password: string }
  | { kind: 'token'; username: string; password: string };

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as an image reference's domain. */
  host: string;
  url: string;
  /** Scratch directory (config, storage, keys), owned by the user. */
  dir: string;
  /** Requests the token server received (token auth only). */
  tokenRequests: { scope: string[]; user?: string }[];
  stop(): Promise<void>;
}

function need(path: string, what: string): void {
  if (!existsSync(path)) throw new Error(`testkit: ${path} is missing (${what}); ${SETUP_HINT}`);
}

/** A TCP port on 127.0.0.1 nobody listens on at the moment. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function chownTree(paths: string[], user: TestUser): void {
  if (process.getuid!() !== 0) return;
  for (const p of paths) chownSync(p, user.uid, user.gid);
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** A JWT the distribution registry accepts: RS256, the signing certificate in x5c. */
function signToken(key: string, certDer: Buffer, claims: object): string {
  const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = createSign('RSA-SHA256').update(input).sign(key);
  return `${input}.${b64url(sig)}`;
}

function basicUser(req: IncomingMessage): { user: string; pass: string } | undefined {
  const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (!m?.[1]) return undefined;
  const s = Buffer.from(m[1], 'base64').toString('utf8');
  const i = s.indexOf(':');
  return i < 0 ? undefined : { user: s.slice(0, i), pass: s.slice(i + 1) };
}

async function startTokenServer(
  dir: string,
  auth: { username: string; password: string },
  log: TestRegistry['tokenRequests'],
): Promise<{ server: Server; realm: string; certPath: string }> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      `/CN=${TOKEN_ISSUER}`,
    ],
    { stdio: 'ignore' },
  );
  const key = readFileSync(keyPath, 'utf8');
  const certDer = Buffer.from(new X509Certificate(readFileSync(certPath)).raw);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const who = basicUser(req);
    const entry: TestRegistry['tokenRequests'][number] = { scope: scopes };
    if (who) entry.user = who.user;
    log.push(entry);
    if (who && (who.user !== auth.username || who.pass !== auth.password)) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"details":"bad credentials"}');
      return;
    }
    // Anonymous callers get a token without access, as Docker Hub's token server does for a
    // private repository: the registry then refuses them.
    const access = who
      ? scopes.flatMap((s) => {
          const [type, ...rest] = s.split(':');
          const actions = rest.pop() ?? '';
          return [{ type, name: rest.join(':'), actions: actions.split(',') }];
        })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const token = signToken(key, certDer, {
      iss: TOKEN_ISSUER,
      sub: who?.user ?? '',
      aud: TOKEN_SERVICE,
      exp: now + 600,
      nbf: now - 10,
      iat: now,
      jti: `${now}-${Math.random()}`,
      access,
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 600 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return { server, realm: `http://127.0.0.1:${port}/token`, certPath };
}

async function htpasswdLine(username: string, password: string): Promise<string> {
  // The registry only accepts bcrypt entries; bcryptjs writes them without apache2-utils. The
  // registry checks the hash on every request: the lowest cost keeps tests quick.
  const bcrypt = (await import('bcryptjs')).default;
  return `${username}:${bcrypt.hashSync(password, BCRYPT_TEST_COST)}\n`;
}

/** Any HTTP answer from /v2/ (a self-signed certificate is fine: the test made it). */
function probe(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(`${url}/v2/`, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve();
    });
    req.on('error', reject);
  });
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `testkit: docker-registry exited at start: ${stderr().trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    try {
      await probe(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`testkit: docker-registry did not answer within ${READY_TIMEOUT_MS} ms`);
}

/**
 * Starts a registry as the user; stop() ends it and removes its storage. `tls` serves HTTPS with a
 * self-signed certificate (for tlsVerify false); `auth` puts it behind htpasswd or bearer tokens.
 */
export async function startRegistry(
  user: TestUser,
  options: { auth?: RegistryAuth; tls?: boolean } = {},
): Promise<TestRegistry> {
  need(REGISTRY_BIN, "Debian's docker-registry package");
  const dir = userTempDir(user, 'rootless-registry-');
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const port = await freePort();
  const tokenRequests: TestRegistry['tokenRequests'] = [];
  let tokenServer: Server | undefined;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (options.tls) {
    // A self-signed certificate nobody trusts: what --tls-verify=false is for.
    const key = join(dir, 'tls.key');
    const cert = join(dir, 'tls.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    chownTree([key, cert], user);
    lines.push('  tls:', `    certificate: ${cert}`, `    key: ${key}`);
  }
  const auth = options.auth;
  if (auth?.kind === 'htpasswd') {
    const file = join(dir, 'htpasswd');
    writeFileSync(file, await htpasswdLine(auth.username, auth.password));
    chownTree([file], user);
    lines.push('auth:', '  htpasswd:', '    realm: rootless-test', `    path: ${file}`);
  } else if (auth?.kind === 'token') {
    const t = await startTokenServer(dir, auth, tokenRequests);
    tokenServer = t.server;
    chownTree([join(dir, 'token.key'), t.certPath], user);
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${t.realm}`,
      `    service: ${TOKEN_SERVICE}`,
      `    issuer: ${TOKEN_ISSUER}`,
      `    rootcertbundle: ${t.certPath}`,
    );
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  chownTree([storage, config], user);
  const child = spawn(REGISTRY_BIN, ['serve', config], {
    env: { PATH: STANDARD_PATH, HOME: user.home },
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(process.getuid!() === 0 ? { uid: user.uid, gid: user.gid } : {}),
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-8192);
  });
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (tokenServer) {
      tokenServer.closeAllConnections();
      await new Promise((r) => tokenServer?.close(r));
    }
    removeTree(dir);
  };
  try {
    await waitReady(url, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host: `127.0.0.1:${port}`, url, dir, tokenRequests, stop };
}

/** Tags of the OCI layout buildTestImages makes. */
export interface TestImages {
  /** The OCI layout directory (owned by the user). */
  layout: string;
  /** Tag of the host-architecture image: busybox, with a whiteout and config fields set. */
  tag: string;
  /** Tag of the same image declared for the other architecture (arm64 on x64, amd64 elsewhere). */
  otherTag: string;
  otherArchitecture: string;
  /** Tag of an OCI index holding both. */
  multiTag: string;
}

const BUSYBOX = '/bin/busybox';

async function run(user: TestUser, cmd: string, args: string[], cwd?: string): Promise<string> {
  const r = await runAs(user, cmd, args, { timeoutMs: 120_000, ...(cwd ? { cwd } : {}) });
  if (r.code !== 0) {
    throw new Error(
      `testkit: ${cmd} ${args.join(' ')} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`,
    );
  }
  return r.stdout;
}

/**
 * Builds a small OCI layout as the user with umoci from busybox-static: layer 1 has
 * /bin/busybox, /bin/sh → busybox, /etc/passwd, /etc/group, /etc/motd and /gone; layer 2 is a
 * whiteout of /gone; layer 3 adds /hello.txt. The config sets Entrypoint ["/bin/sh","-c"], Cmd
 * ["echo hello from the image"], Env GREETING=hello, WorkingDir /work, User 1000:1000.
 */
export async function buildTestImages(user: TestUser, dir: string): Promise<TestImages> {
  need('/usr/bin/umoci', 'the umoci package');
  need(BUSYBOX, 'the busybox-static package');
  const layout = join(dir, 'layout');
  const tag = 'busybox';
  await run(user, 'umoci', ['init', '--layout', layout]);
  await run(user, 'umoci', ['new', '--image', `${layout}:${tag}`]);
  // Layers are made with unpack/repack: umoci 0.4.7's `insert` writes tars without their
  // padding and end-of-archive blocks, which a strict reader (the store's) rejects.
  await addLayers(user, layout, tag, [
    [
      'mkdir -p bin etc work',
      `cp ${BUSYBOX} bin/busybox`,
      'ln -s busybox bin/sh',
      "printf 'root:x:0:0:root:/root:/bin/sh\\napp:x:1000:1000:app:/work:/bin/sh\\n' > etc/passwd",
      "printf 'root:x:0:\\napp:x:1000:\\n' > etc/group",
      "echo 'from the first layer' > etc/motd",
      "echo 'deleted by the second layer' > gone",
    ],
    ['rm gone'],
    ["echo 'hello from the second layer' > hello.txt"],
  ]);
  await run(user, 'umoci', [
    'config',
    '--image',
    `${layout}:${tag}`,
    '--config.entrypoint',
    '/bin/sh',
    '--config.entrypoint',
    '-c',
    '--config.cmd',
    'echo hello from the image',
    '--config.env',
    'GREETING=hello',
    '--config.workingdir',
    '/work',
    '--config.user',
    '1000:1000',
  ]);
  const hostArch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const otherArchitecture = hostArch === 'arm64' ? 'amd64' : 'arm64';
  const otherTag = `busybox-${otherArchitecture}`;
  await run(user, 'umoci', [
    'config',
    '--image',
    `${layout}:${tag}`,
    '--tag',
    otherTag,
    '--architecture',
    otherArchitecture,
  ]);
  const multiTag = 'multi';
  await addIndex(user, layout, multiTag, [tag, otherTag]);
  return { layout, tag, otherTag, otherArchitecture, multiTag };
}

/**
 * Adds to the layout of buildTestImages an image tagged `features` with what a store must keep
 * or honour, as the user with umoci (rootless: the user's files become root's):
 * layer 1: busybox, /etc, /data/big (51 MiB), /data/a and its hard link /data/a-link, a symlink
 * /data/sym → a, /data/suid (mode 4755), /opq/old; layer 2: /opq opaque (`.wh..wh..opq`),
 * holding only /opq/new. Config: Cmd ["/bin/sh"].
 */
export async function buildFeatureImage(
  user: TestUser,
  images: TestImages,
): Promise<{ tag: string; bigSize: number }> {
  const tag = 'features';
  const layout = images.layout;
  const bigSize = 51 * 1024 * 1024;
  await run(user, 'umoci', ['new', '--image', `${layout}:${tag}`]);
  await addLayers(user, layout, tag, [
    [
      'mkdir -p bin etc data opq',
      `cp ${BUSYBOX} bin/busybox`,
      'ln -s busybox bin/sh',
      "printf 'root:x:0:0:root:/root:/bin/sh\\n' > etc/passwd",
      "printf 'root:x:0:\\n' > etc/group",
      `head -c ${bigSize} /dev/urandom > data/big`,
      'echo linked > data/a',
      'ln data/a data/a-link',
      'ln -s a data/sym',
      'cp bin/busybox data/suid',
      'chmod 4755 data/suid',
      'echo old > opq/old',
    ],
  ]);
  // umoci repack writes a removed directory's files as single whiteouts, never an opaque
  // directory: that layer is written with GNU tar.
  await appendTarLayer(user, layout, tag, [
    'mkdir -p opq',
    'echo new > opq/new',
    ': > opq/.wh..wh..opq',
  ]);
  await run(user, 'umoci', ['config', '--image', `${layout}:${tag}`, '--config.cmd', '/bin/sh']);
  return { tag, bigSize };
}

/**
 * Adds one layer per step to the image: the rootfs is unpacked (rootless), each step's shell
 * commands run in it, and `umoci repack` records the difference (deletions as whiteouts).
 */
async function addLayers(
  user: TestUser,
  layout: string,
  tag: string,
  steps: string[][],
): Promise<void> {
  // A repack records the difference from what the bundle was unpacked from, and puts it on
  // that image: each step unpacks afresh.
  const bundle = `${layout}.bundle-${tag}`;
  for (const step of steps) {
    await run(user, 'umoci', ['unpack', '--rootless', '--image', `${layout}:${tag}`, bundle]);
    try {
      await run(user, 'sh', ['-c', `set -e; cd "$0"; ${step.join('; ')}`, join(bundle, 'rootfs')]);
      await run(user, 'umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
    } finally {
      await run(user, 'rm', ['-rf', bundle]);
    }
  }
}

/**
 * Adds a layer written by GNU tar (as root's files, gzipped) from what the shell commands make in
 * an empty directory, updating the image's config (diff id, history), manifest and index entry.
 */
async function appendTarLayer(
  user: TestUser,
  layout: string,
  tag: string,
  commands: string[],
): Promise<void> {
  const { createHash } = await import('node:crypto');
  const stage = `${layout}.layer-${tag}`;
  const blobs = join(layout, 'blobs', 'sha256');
  const tmp = join(blobs, `tmp-${tag}`);
  await run(user, 'sh', [
    '-c',
    `set -e; mkdir "$0"; cd "$0"; ${commands.join('; ')}; tar --numeric-owner --owner=0 --group=0 --sort=name -cf "$1.tar" .; gzip -n -c "$1.tar" > "$1.gz"`,
    stage,
    tmp,
  ]);
  const hex = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
  const diffId = `sha256:${hex(`${tmp}.tar`)}`;
  const gz = readFileSync(`${tmp}.gz`);
  const layerDigest = `sha256:${hex(`${tmp}.gz`)}`;
  await run(user, 'sh', [
    '-c',
    'mv "$0.gz" "$1"; rm -rf "$0.tar" "$2"',
    tmp,
    join(blobs, layerDigest.slice(7)),
    stage,
  ]);
  const indexPath = join(layout, 'index.json');
  type Entry = {
    mediaType: string;
    digest: string;
    size: number;
    annotations?: Record<string, string>;
  };
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: Entry[] };
  const entry = index.manifests.find(
    (e) => e.annotations?.['org.opencontainers.image.ref.name'] === tag,
  );
  if (!entry) throw new Error(`testkit: no tag ${tag} in ${layout}`);
  const manifest = JSON.parse(readFileSync(join(blobs, entry.digest.slice(7)), 'utf8'));
  const config = JSON.parse(readFileSync(join(blobs, manifest.config.digest.slice(7)), 'utf8'));
  config.rootfs.diff_ids.push(diffId);
  config.history = [...(config.history ?? []), { created_by: 'testkit: GNU tar layer' }];
  const put = async (text: string) => {
    const d = `sha256:${createHash('sha256').update(text).digest('hex')}`;
    await runAs(user, 'sh', ['-c', 'cat > "$0"', join(blobs, d.slice(7))], { input: text });
    return { digest: d, size: Buffer.byteLength(text) };
  };
  const c = await put(JSON.stringify(config));
  manifest.config = { ...manifest.config, ...c };
  manifest.layers.push({
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: layerDigest,
    size: gz.length,
  });
  const m = await put(JSON.stringify(manifest));
  entry.digest = m.digest;
  entry.size = m.size;
  await runAs(user, 'sh', ['-c', 'cat > "$0"', indexPath], { input: JSON.stringify(index) });
}

/** Adds to a layout an OCI index of some of its tags, with their platforms, under a new tag. */
async function addIndex(
  user: TestUser,
  layout: string,
  tag: string,
  tags: string[],
): Promise<void> {
  const { createHash } = await import('node:crypto');
  const indexPath = join(layout, 'index.json');
  const top = JSON.parse(readFileSync(indexPath, 'utf8')) as {
    manifests: {
      mediaType: string;
      digest: string;
      size: number;
      annotations?: Record<string, string>;
    }[];
  };
  const blob = (d: string) => join(layout, 'blobs', ...d.split(':'));
  const entries = tags.map((t) => {
    const m = top.manifests.find((e) => e.annotations?.['org.opencontainers.image.ref.name'] === t);
    if (!m) throw new Error(`testkit: no tag ${t} in ${layout}`);
    const manifest = JSON.parse(readFileSync(blob(m.digest), 'utf8')) as {
      config: { digest: string };
    };
    const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as {
      os: string;
      architecture: string;
    };
    const platform: Record<string, string> = { os: config.os, architecture: config.architecture };
    if (config.architecture === 'arm64') platform.variant = 'v8';
    return { mediaType: m.mediaType, digest: m.digest, size: m.size, platform };
  });
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: entries,
    }),
  );
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await runAs(user, 'sh', ['-c', 'cat > "$0"', blob(digest)], { input: bytes.toString('utf8') });
  top.manifests.push({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest,
    size: bytes.length,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  await runAs(user, 'sh', ['-c', 'cat > "$0"', indexPath], { input: JSON.stringify(top) });
}

/**
 * `skopeo copy` as the user, with an insecure policy and no TLS verification for 127.0.0.1
 * registries. `all` copies every platform of an index.
 */
export async function skopeoCopy(
  user: TestUser,
  from: string,
  to: string,
  options: { all?: boolean; format?: 'oci' | 'v2s2'; destCreds?: string } = {},
): Promise<void> {
  need('/usr/bin/skopeo', 'the skopeo package');
  const args = [
    '--insecure-policy',
    'copy',
    '--quiet',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
  ];
  if (options.all) args.push('--all');
  if (options.format) args.push('--format', options.format);
  if (options.destCreds) args.push('--dest-creds', options.destCreds);
  args.push(from, to);
  await run(user, 'skopeo', args);
}
