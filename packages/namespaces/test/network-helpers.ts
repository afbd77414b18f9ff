import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { processesOf, runNodeAs, testUser } from '@rootless-ts/testkit';
import { alive } from './helpers.js';

export const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export interface Done {
  event: 'done';
  stdout: string;
  stderr: string;
  pid?: number;
  helperPid?: number;
  ports?: Array<{ hostIp?: string; hostPort: number; containerPort: number; protocol: string }>;
  status?: { code: number | null; signal: string | null };
  error?: { name: string; code?: string; step?: string; message: string; cause?: string };
}

export interface Spec {
  mode: string;
  argv: string[];
  ports?: string[];
  uid?: number;
  hold?: boolean;
  lockMounts?: false;
}

/** Runs the fixture as the test user until the container exits; its final report. */
export async function runContainer(spec: Spec): Promise<Done> {
  const r = await runNodeAs(testUser(), fixture('network-run.mjs'), [JSON.stringify(spec)]);
  const last = r.stdout.trim().split('\n').at(-1);
  if (r.code !== 0 || !last) throw new Error(`fixture failed (${r.code ?? r.signal}): ${r.stderr}`);
  return JSON.parse(last) as Done;
}

/** A fixture run as the test user that the test drives: its JSON events as they come. */
export class Held {
  readonly child: ChildProcess;
  private buffer = '';
  private events: Array<Record<string, unknown>> = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<void>;

  constructor(spec: Spec) {
    const user = testUser();
    const asRoot = process.getuid!() === 0;
    this.child = spawn(
      process.execPath,
      [fixture('network-run.mjs'), JSON.stringify({ ...spec, hold: true })],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: '/',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, USER: user.name },
        ...(asRoot ? { uid: user.uid, gid: user.gid } : {}),
      },
    );
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.buffer += d;
      const lines = this.buffer.split('\n');
      this.buffer = lines.pop()!;
      for (const l of lines) if (l) this.events.push(JSON.parse(l));
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr!.resume();
    this.closed = new Promise((r) => this.child.once('close', () => r()));
    this.closed.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** The first event matching, waiting for it (fails once the fixture has ended without it). */
  async next(
    match: (e: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the fixture ended without ${what}: ${JSON.stringify(this.events)}`);
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  ready() {
    return this.next((e) => e.event === 'ready' || e.event === 'done', 'ready') as Promise<{
      event: string;
      pid: number;
      helperPid?: number;
      ports: Array<{ hostPort: number }>;
      error?: { message: string };
    }>;
  }

  line(text: string) {
    return this.next((e) => e.event === 'out' && e.line === text, `the line "${text}"`);
  }

  done() {
    return this.next((e) => e.event === 'done', 'its report') as unknown as Promise<Done>;
  }
}

/** The test user's live processes (zombies are dead: their parent may be gone too). */
export function liveProcesses(): string[] {
  return processesOf(testUser())
    .filter((p) => p.state !== 'Z')
    .map((p) => `${p.pid} ${p.command}`);
}

/** Waits until `pid` is gone; the test's own timeout bounds it. */
export async function gone(pid: number): Promise<void> {
  while (alive(pid)) await new Promise((r) => setTimeout(r, 20));
}

/** A TCP server on the host's 127.0.0.1 counting connections: what a container must not reach. */
export async function hostService(): Promise<{
  server: Server;
  port: number;
  connections: () => number;
}> {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.end('host secret\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0, connections: () => n };
}

/** A port free on 127.0.0.1 right now (for tcp and udp). */
export async function freePort(): Promise<number> {
  for (;;) {
    const { server, port } = await hostService();
    await new Promise((r) => server.close(r));
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/** Connects to 127.0.0.1:port, sends `request`, returns what came back until EOF. */
export function tcpExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      data += d;
    });
    s.on('error', reject);
    s.on('end', () => resolve(data));
    s.write(request);
  });
}

/** Retries a fetch until it gets a non-empty answer: the server inside may still be starting. */
export async function httpGet(port: number): Promise<string> {
  let last: unknown;
  for (let i = 0; i < 100; i++) {
    try {
      const body = await tcpExchange(port, 'GET / HTTP/1.0\r\n\r\n');
      if (body) return body;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no answer on 127.0.0.1:${port}: ${String(last)}`);
}

/** Sends a UDP datagram to 127.0.0.1:port every 50 ms until `received` resolves. */
export async function udpSendUntil(
  port: number,
  message: string,
  received: Promise<unknown>,
): Promise<void> {
  const s = createSocket('udp4');
  let done = false;
  received.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  try {
    for (let i = 0; i < 200 && !done; i++) {
      s.send(message, port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    s.close();
  }
  await received;
}
