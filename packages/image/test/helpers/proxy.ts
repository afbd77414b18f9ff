import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A misbehaving HTTP proxy on 127.0.0.1 in front of a real registry: it answers the first
 * matching request with 500, cuts a blob mid-way, or flips a byte of a blob, so the client's
 * defences are tried against real registry traffic.
 */
export interface MisbehavingProxy {
  host: string;
  /** What to do next; each trick applies to requests whose path contains `path`. */
  tricks: {
    fail500?: { path: string; times: number };
    drop?: { path: string; afterBytes: number; times: number };
    tamper?: { path: string };
  };
  /** Requests seen: method, path, Range header. */
  log: { path: string; range?: string; status?: number }[];
  close(): Promise<void>;
}

export async function startProxy(upstreamPort: number): Promise<MisbehavingProxy> {
  const tricks: MisbehavingProxy['tricks'] = {};
  const log: MisbehavingProxy['log'] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const entry: MisbehavingProxy['log'][number] = { path };
    if (req.headers.range) entry.range = req.headers.range;
    log.push(entry);
    const f = tricks.fail500;
    if (f && f.times > 0 && path.includes(f.path)) {
      f.times--;
      entry.status = 500;
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"UNKNOWN"}]}');
      return;
    }
    const up = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path, headers: req.headers },
      (upRes) => {
        entry.status = upRes.statusCode ?? 0;
        const d = tricks.drop;
        const t = tricks.tamper;
        if (d && d.times > 0 && path.includes(d.path) && upRes.statusCode === 200) {
          d.times--;
          res.writeHead(upRes.statusCode, upRes.headers);
          let sent = 0;
          upRes.on('data', (chunk: Buffer) => {
            if (sent >= d.afterBytes) return;
            const part = chunk.subarray(0, d.afterBytes - sent);
            sent += part.length;
            res.write(part);
            if (sent >= d.afterBytes) {
              upRes.destroy();
              setTimeout(() => res.socket?.destroy(), 20);
            }
          });
          return;
        }
        if (t && path.includes(t.path) && upRes.statusCode === 200) {
          const parts: Buffer[] = [];
          upRes.on('data', (c: Buffer) => parts.push(c));
          upRes.on('end', () => {
            const body = Buffer.concat(parts);
            const i = Math.floor(body.length / 2);
            body[i] = (body[i] ?? 0) ^ 0xff;
            res.writeHead(200, upRes.headers).end(body);
          });
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    tricks,
    log,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
