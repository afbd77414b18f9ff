import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A small Distribution API v2 server on 127.0.0.1 for unit tests of the client's behaviour
 * (retries, resumption, tampering, authentication, redirects), which a real registry cannot be
 * made to misbehave in. The end-to-end tests use the real registry.
 */
export interface FakeRegistry {
  url: string;
  host: string;
  /** Requests seen, as `METHOD path [range] [authorization]`. */
  log: { method: string; path: string; range?: string; authorization?: string; accept?: string }[];
  /** Content by digest (manifests and blobs). */
  blobs: Map<string, { bytes: Buffer; mediaType: string }>;
  /** Tags to manifest digests, per repository-independent name. */
  tags: Map<string, string>;
  hooks: Hooks;
  close(): Promise<void>;
}

export interface Hooks {
  /** Answer this many requests with 500 first. */
  failFirst?: number;
  /** Cut the connection after this many body bytes, this many times. */
  dropAfter?: { bytes: number; times: number };
  /** Honour Range requests (default true). */
  ranges?: boolean;
  /** Serve different bytes for this digest (same length). */
  tamper?: string;
  /** Require this Authorization header value, answering 401 with this challenge otherwise. */
  auth?: { expect: string; challenge: string };
  /** Token endpoint: path → (request) → status and JSON. */
  token?: (req: IncomingMessage) => { status: number; body: unknown };
  /** Redirect blob requests to this base URL (another server). */
  redirectBlobsTo?: string;
}

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export async function startFakeRegistry(tls?: {
  key: string;
  cert: string;
}): Promise<FakeRegistry> {
  const blobs = new Map<string, { bytes: Buffer; mediaType: string }>();
  const tags = new Map<string, string>();
  const log: FakeRegistry['log'] = [];
  const hooks: Hooks = {};
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const entry: FakeRegistry['log'][number] = { method: req.method ?? 'GET', path: url.pathname };
    if (req.headers.range) entry.range = req.headers.range;
    if (req.headers.authorization) entry.authorization = req.headers.authorization;
    if (req.headers.accept) entry.accept = req.headers.accept;
    log.push(entry);
    if (url.pathname === '/token' && hooks.token) {
      const t = hooks.token(req);
      res.writeHead(t.status, { 'content-type': 'application/json' }).end(JSON.stringify(t.body));
      return;
    }
    if (hooks.failFirst && hooks.failFirst > 0) {
      hooks.failFirst--;
      res.writeHead(500).end('{"errors":[{"code":"UNKNOWN","message":"try again"}]}');
      return;
    }
    if (hooks.auth && req.headers.authorization !== hooks.auth.expect) {
      res
        .writeHead(401, { 'www-authenticate': hooks.auth.challenge })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === '/v2/') {
      res.writeHead(200).end('{}');
      return;
    }
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [, , kind, selector = ''] = m;
    const digest = kind === 'manifests' && !selector.includes(':') ? tags.get(selector) : selector;
    const item = digest ? blobs.get(digest) : undefined;
    if (!item) {
      res.writeHead(404).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
      return;
    }
    if (kind === 'blobs' && hooks.redirectBlobsTo) {
      res.writeHead(307, { location: `${hooks.redirectBlobsTo}${url.pathname}` }).end();
      return;
    }
    let bytes = item.bytes;
    if (digest === hooks.tamper) {
      bytes = Buffer.from(bytes);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    }
    let status = 200;
    const headers: Record<string, string | number> = {
      'content-type': item.mediaType,
      'docker-content-digest': digest as string,
    };
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && hooks.ranges !== false) {
      const start = Number(range[1]);
      headers['content-range'] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
      bytes = bytes.subarray(start);
      status = 206;
    }
    headers['content-length'] = bytes.length;
    res.writeHead(status, headers);
    if (hooks.dropAfter && hooks.dropAfter.times > 0 && bytes.length > hooks.dropAfter.bytes) {
      hooks.dropAfter.times--;
      res.write(bytes.subarray(0, hooks.dropAfter.bytes), () => {
        setTimeout(() => res.socket?.destroy(), 20);
      });
      return;
    }
    res.end(bytes);
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    log,
    blobs,
    tags,
    hooks,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Puts a small two-layer image (and optionally a second platform) into a fake registry. */
export function addImage(
  reg: FakeRegistry,
  opts: { tag: string; architecture?: string; layerBytes?: number; seed?: string },
): { manifestDigest: string; layers: { digest: string; bytes: Buffer }[]; manifestBytes: Buffer } {
  const arch = opts.architecture ?? 'amd64';
  const seed = opts.seed ?? arch;
  const layers = [0, 1].map((i) => {
    const bytes = Buffer.alloc(opts.layerBytes ?? 100_000, `${seed}-layer-${i}-`);
    return { digest: sha256(bytes), bytes };
  });
  for (const l of layers)
    reg.blobs.set(l.digest, { bytes: l.bytes, mediaType: 'application/octet-stream' });
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Env: [`ARCH=${arch}`] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(`diff-${l.digest}`)) },
    }),
  );
  reg.blobs.set(sha256(config), { bytes: config, mediaType: 'application/octet-stream' });
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        digest: l.digest,
        size: l.bytes.length,
      })),
    }),
  );
  const manifestDigest = sha256(manifestBytes);
  reg.blobs.set(manifestDigest, {
    bytes: manifestBytes,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  });
  reg.tags.set(opts.tag, manifestDigest);
  return { manifestDigest, layers, manifestBytes };
}
