import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fcntl as F } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { dnsForwarder, SLIRP4NETNS_ADDRESS } from './dns.js';
import { NetworkError } from './errors.js';
import {
  checkHelper,
  findProgram,
  helperOf,
  helperSearchPath,
  type NetworkMode,
  SYSTEM_PATH,
} from './mode.js';
import {
  type NamespaceFds,
  namespacePaths,
  pastaArgs,
  type ResolvedPort,
  slirp4netnsArgs,
  slirpHostfwdRequests,
} from './plan.js';
import type { PortMapping } from './ports.js';

export interface StartNetworkOptions {
  mode: NetworkMode;
  /** The container's pid in the host's pid namespace (its namespaces are /proc/PID/ns/*). */
  pid: number;
  /** Ports to publish (from parsePortSpecs); host ports left out are chosen here. */
  ports?: readonly PortMapping[];
  mtu?: number;
  /** How long the helper may take to say the network is up (default 10 s). */
  timeoutMs?: number;
  /** Where to look for pasta, slirp4netns and setpriv (default PATH, then /usr/sbin:/usr/bin:/sbin:/bin). */
  path?: string;
}

/** How long a helper may take to say the network is up, unless told (10 s). */
const DEFAULT_TIMEOUT_MS = 10_000;

/** A container's network, up. */
export interface NetworkHandle {
  readonly mode: NetworkMode;
  /** The helper program and its pid (pasta, slirp4netns), when the mode has one. */
  readonly helper?: 'pasta' | 'slirp4netns';
  readonly helperPid?: number;
  /** The published ports, every host port known. */
  readonly ports: readonly ResolvedPort[];
  /** The container's address on its network, when fixed (slirp4netns: 10.0.2.100). */
  readonly address?: string;
  /** The DNS forwarder inside (pasta: 169.254.1.1, slirp4netns: 10.0.2.3). */
  readonly dns?: string;
  /** Settles when the helper has exited (at once for modes without one, once closed). */
  readonly exited: Promise<void>;
  /** What the helper wrote on its standard error so far (its messages, never the container's). */
  output(): string;
  /** Stops the helper and waits until it is gone; removes what was made for it. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the network of a container whose namespaces exist (call it from @rootless-ts/
 * namespaces' `idmap` callback, after the id maps are written, before the child goes on).
 * Resolves once the helper says the network is up; rejects with a NetworkError whose message is
 * one line naming the helper and what it said, after making sure nothing it started is left.
 *
 * The helper runs in the foreground as this process's child, under `setpriv --pdeathsig KILL`,
 * so that it dies with this process even when that is SIGKILLed; its standard streams are pipes
 * to this process, never the container's. Call `close()` once the container has exited: the
 * helper does not notice by itself (pasta keeps the namespace alive through its descriptor).
 */
export async function startNetwork(options: StartNetworkOptions): Promise<NetworkHandle> {
  const started = await startHelper(options);
  return started instanceof PendingPasta
    ? waitForPasta(started, options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    : started;
}

/**
 * A helper started whose readiness signal is handed on: another process reads `readyFd` (spawn's
 * inProcess path gives it to the container's first process, which waits there before it goes on,
 * while this process is blocked in the clone and could not read it).
 */
export interface PendingNetwork {
  /**
   * The read end of the helper's readiness pipe (close-on-exec): a line once the network is up,
   * end of file when the helper gave up first. Closed by up(), failed() and close().
   */
  readonly readyFd: number;
  /** The reader saw the line: the network is up, and this is its handle. */
  up(): NetworkHandle;
  /**
   * The reader saw end of file, or gave up waiting: why, in one line (the helper's own message
   * when it said one). The helper is stopped.
   */
  failed(): Promise<NetworkError>;
  /** Stops the helper (the spawn failed before the network mattered). Idempotent. */
  close(): Promise<void>;
}

/**
 * startNetwork, without waiting for the network to be up: returns as soon as the helper is
 * started, with the pipe that will say so. Only pasta's signal can be handed on (a line on a
 * pipe, nothing to do after it); for any other mode this is startNetwork, and returns the handle.
 */
export function startNetworkPending(
  options: StartNetworkOptions,
): Promise<PendingNetwork | NetworkHandle> {
  return startHelper(options);
}

/** The helper started, pasta's readiness not read yet (startNetwork reads it, or the caller). */
async function startHelper(options: StartNetworkOptions): Promise<PendingPasta | NetworkHandle> {
  const { mode, pid } = options;
  const searchPath = options.path ?? helperSearchPath();
  if (!Number.isInteger(pid) || pid <= 0)
    throw new NetworkError('ERR_BAD_NETWORK', `bad container pid ${pid}`);
  const helper = helperOf(mode);
  if (!helper) {
    if ((options.ports ?? []).length > 0) {
      throw new NetworkError(
        'ERR_BAD_PORT',
        mode === 'host'
          ? 'ports cannot be published with --network host: the container uses the host ports directly'
          : 'ports cannot be published with --network none',
      );
    }
    return idleHandle(mode);
  }
  const program = checkHelper(mode, searchPath)!;
  const setpriv = findProgram('setpriv', searchPath);
  if (!setpriv) {
    throw new NetworkError(
      'ERR_HELPER_MISSING',
      `setpriv is not installed (Debian package util-linux): ${helper} could outlive this process`,
      { helper },
    );
  }
  // Before the first await: the container's process may take ids that end our access to its
  // /proc entries as soon as it goes on (see joinPaths in plan.ts).
  const ns = openNamespaces(pid);
  try {
    const ports = await choosePorts(options.ports ?? []);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (helper === 'slirp4netns')
      return await startSlirp(program, setpriv, pid, ns, ports, options.mtu, timeoutMs);
    return await spawnPasta(program, setpriv, pid, ns, ports, options.mtu);
  } finally {
    // The helper has its own copies (or never started).
    for (const fd of [ns.net, ns.user]) closeSync(fd);
  }
}

/** The container's network and user namespaces, opened by /proc/PID (close-on-exec). */
function openNamespaces(pid: number): NamespaceFds {
  const paths = namespacePaths(pid);
  const open = (path: string) => {
    try {
      return openSync(path, 'r');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new NetworkError(
        err.code ?? 'ERR_HELPER_FAILED',
        `cannot open ${path} (${err.code ?? 'error'}): the container's process is gone or no longer ours`,
        {
          ...(err.errno !== undefined ? { errno: Math.abs(err.errno) } : {}),
          syscall: 'open',
          path,
          cause: e,
        },
      );
    }
  };
  const net = open(paths.net);
  try {
    return { net, user: open(paths.user) };
  } catch (e) {
    closeSync(net);
    throw e;
  }
}

function idleHandle(mode: NetworkMode): NetworkHandle {
  return {
    mode,
    ports: [],
    exited: Promise.resolve(),
    output: () => '',
    close: () => Promise.resolve(),
  };
}

/**
 * Host ports left out get a free one each, as podman does: the kernel picks it (bind to port 0),
 * the socket is closed and the helper binds it. A range is split into single ports.
 */
async function choosePorts(ports: readonly PortMapping[]): Promise<ResolvedPort[]> {
  const out: ResolvedPort[] = [];
  for (const p of ports) {
    if (p.hostPort !== undefined) {
      out.push(p as ResolvedPort);
      continue;
    }
    for (let i = 0; i < p.count; i++) {
      const hostPort = await freePort(p.protocol === 'udp' ? 'udp' : 'tcp', p.hostIp);
      out.push({ ...p, containerPort: p.containerPort + i, count: 1, hostPort });
    }
  }
  return out;
}

function freePort(proto: 'tcp' | 'udp', host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    if (proto === 'udp') {
      const s = process
        .getBuiltinModule('node:dgram')
        .createSocket(host?.includes(':') ? 'udp6' : 'udp4');
      s.once('error', reject);
      s.bind(0, host, () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      return;
    }
    const srv = process.getBuiltinModule('node:net').createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A helper process and what we need to watch and stop it. Started by posix_spawn on a libuv pool
 * thread (libc.posixSpawnAsync), not child_process: that would fork this whole process and hold
 * the event loop until the helper has exec'd, and loading it (with node:net and node:stream)
 * costs about 8 ms of a command's start. Reaped by libc's SIGCHLD reaper, which does not keep
 * the event loop alive for it (a helper runs as long as its container).
 */
class Helper {
  /** Settles once it has exited and its stderr has been read: its last words are in output(). */
  readonly exited: Promise<libc.ExitStatus>;
  private stderr = '';
  private gone = false;

  constructor(
    readonly name: 'pasta' | 'slirp4netns',
    readonly pid: number,
    /** The read end of its stderr, non-blocking; read when asked and once it has exited. */
    private readonly stderrFd: number,
  ) {
    this.exited = libc.watchExit(pid, { ref: false }).then((status) => {
      this.gone = true;
      this.readStderr();
      libc.close(stderrFd);
      return status;
    });
  }

  /** What it wrote on its stderr so far. Its messages are a few lines: a pipe holds 64 KiB. */
  output(): string {
    if (!this.gone) this.readStderr();
    return this.stderr;
  }

  private readStderr(): void {
    const got = libc.readAvailable(this.stderrFd);
    // Bounded: a chatty helper must not grow our memory.
    if (got.length > 0) this.stderr = (this.stderr + got.toString('utf8')).slice(-16384);
  }

  /** One line: the helper's last message, or how it ended. */
  failure(status?: libc.ExitStatus): string {
    const lines = this.output()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^Failed to send \d+ bytes to syslog/.test(l));
    const last = lines.at(-1);
    if (last) return `${this.name}: ${last}`;
    if (!status) return `${this.name} failed`;
    return `${this.name} exited ${status.signal ? `on ${status.signal}` : `with status ${status.code}`} before the network was up`;
  }

  async stop(): Promise<void> {
    if (!this.gone) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone, reaped below all the same
      }
    }
    // The reaper does not keep the event loop alive for a helper: this does, until it is gone.
    const hold = setInterval(() => {}, 60_000);
    try {
      await this.exited;
    } finally {
      clearInterval(hold);
    }
  }
}

/**
 * Starts `setpriv --pdeathsig KILL -- program args…`: setpriv sets PR_SET_PDEATHSIG and execs the
 * helper in place, so that the helper is our child and is killed when this process dies, SIGKILL
 * included. It runs in / with a minimal environment; stdin and stdout are /dev/null, stderr a
 * pipe of ours; `extra` become its descriptors 3, 4, …
 */
async function spawnHelper(
  name: 'pasta' | 'slirp4netns',
  setpriv: string,
  program: string,
  args: string[],
  extra: number[],
): Promise<Helper> {
  // Above every target (3 … 3+n-1), so that no dup2 overwrites a descriptor still to be placed.
  const sources = extra.map((fd) => libc.fcntl(fd, F.F_DUPFD_CLOEXEC, 3 + extra.length));
  const [errRead, errWrite] = libc.pipe2(F.O_CLOEXEC);
  let pid: number;
  try {
    pid = await libc.posixSpawnAsync(
      setpriv,
      [setpriv, '--pdeathsig', 'KILL', '--', program, ...args],
      [`PATH=${SYSTEM_PATH}`],
      [
        { op: 'chdir', path: '/' },
        { op: 'open', target: 0, path: '/dev/null', flags: F.O_RDONLY },
        { op: 'open', target: 1, path: '/dev/null', flags: F.O_WRONLY },
        // dup2 clears FD_CLOEXEC on the copies: the helper keeps these, and only these.
        { op: 'dup2', fd: errWrite, target: 2 },
        ...sources.map((fd, i) => ({ op: 'dup2' as const, fd, target: 3 + i })),
      ],
    );
  } catch (e) {
    libc.close(errRead);
    throw new NetworkError('ERR_HELPER_FAILED', `cannot start ${name}: ${(e as Error).message}`, {
      helper: name,
      cause: e,
    });
  } finally {
    for (const fd of [errWrite, ...sources]) libc.close(fd);
  }
  libc.fcntl(errRead, F.F_SETFL, libc.fcntl(errRead, F.F_GETFL) | F.O_NONBLOCK);
  return new Helper(name, pid, errRead);
}

/** Races the readiness signal against the helper's exit and a deadline. */
async function ready(helper: Helper, signal: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    signal.then(() => ({ t: 'ready' as const })),
    helper.exited.then((status) => ({ t: 'exit' as const, status })),
    new Promise<{ t: 'timeout' }>((resolve) => {
      timer = setTimeout(() => resolve({ t: 'timeout' }), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  if (outcome.t === 'ready') return;
  if (outcome.t === 'exit') {
    // Its stderr was read when it was reaped: the reason (a port already taken, say) is there.
    throw new NetworkError('ERR_HELPER_FAILED', helper.failure(outcome.status), {
      helper: helper.name,
    });
  }
  throw new NetworkError(
    'ERR_HELPER_TIMEOUT',
    `${helper.name} did not bring the network up within ${timeoutMs} ms`,
    { helper: helper.name },
  );
}

/** Resolves when the first line (or, with `anyByte`, the first byte) arrives on the stream. */
function firstData(stream: Socket, anyByte: boolean): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const on = (d: Buffer) => {
      seen += d.toString('latin1');
      if (anyByte || seen.includes('\n')) {
        stream.off('data', on);
        resolve();
      }
    };
    stream.on('data', on);
    stream.on('error', () => {});
  });
}

/** pasta, started: its readiness pipe not read yet (by us, waitForPasta, or by someone else). */
class PendingPasta implements PendingNetwork {
  private closing: Promise<void> | undefined;
  private fdOpen = true;

  constructor(
    readonly readyFd: number,
    readonly helper: Helper,
    private readonly ports: ResolvedPort[],
  ) {}

  up(): NetworkHandle {
    this.closeFd();
    return runningHandle('pasta', this.helper, this.ports, { dns: dnsForwarder('pasta')! });
  }

  async failed(): Promise<NetworkError> {
    this.closeFd();
    // It closed the pipe by exiting, most likely: its last words (a port already taken, say)
    // then come with its exit. A helper still running after a second is stuck.
    // ready() with a signal that never comes ends in one of its errors: the exit or the deadline.
    let error = (await ready(this.helper, new Promise<void>(() => {}), 1000).catch(
      (e: unknown) => e,
    )) as NetworkError;
    if (error.code === 'ERR_HELPER_TIMEOUT')
      error = new NetworkError('ERR_HELPER_TIMEOUT', 'pasta did not bring the network up', {
        helper: 'pasta',
      });
    await this.close();
    return error;
  }

  close(): Promise<void> {
    this.closeFd();
    this.closing ??= this.helper.stop();
    return this.closing;
  }

  private closeFd(): void {
    if (this.fdOpen) libc.close(this.readyFd);
    this.fdOpen = false;
  }
}

async function spawnPasta(
  program: string,
  setpriv: string,
  pid: number,
  ns: NamespaceFds,
  ports: ResolvedPort[],
  mtu: number | undefined,
): Promise<PendingPasta> {
  // pasta writes its pid to --pid once the network is configured: a pipe of ours, reopened
  // through /dev/fd (a socket could not be), is its readiness signal.
  const args = pastaArgs({
    pid,
    // fds 4 and 5 of the helper (spawnHelper's extra descriptors start at 3).
    nsFds: { net: 4, user: 5 },
    ports,
    readyFd: 3,
    callerIsRoot: process.getuid?.() === 0,
    ...(mtu !== undefined ? { mtu } : {}),
  });
  const [r, w] = libc.pipe2(F.O_CLOEXEC);
  try {
    return new PendingPasta(
      r,
      await spawnHelper('pasta', setpriv, program, args, [w, ns.net, ns.user]),
      ports,
    );
  } catch (e) {
    libc.close(r);
    throw e;
  } finally {
    libc.close(w);
  }
}

/** Reads pasta's readiness pipe here: its pid, a line, once the network is up. */
async function waitForPasta(pending: PendingPasta, timeoutMs: number): Promise<NetworkHandle> {
  // The Socket owns the descriptor from here; the pending pasta must not close it again.
  const fd = libc.fcntl(pending.readyFd, F.F_DUPFD_CLOEXEC, 0);
  let reader: Socket;
  try {
    reader = new (process.getBuiltinModule('node:net').Socket)({
      fd,
      readable: true,
      writable: false,
    });
  } catch (e) {
    libc.close(fd);
    await pending.close();
    throw e;
  }
  try {
    await ready(pending.helper, firstData(reader, false), timeoutMs);
  } catch (e) {
    reader.destroy();
    await pending.close();
    throw e;
  }
  reader.destroy();
  return pending.up();
}

async function startSlirp(
  program: string,
  setpriv: string,
  pid: number,
  ns: NamespaceFds,
  ports: ResolvedPort[],
  mtu: number | undefined,
  timeoutMs: number,
): Promise<NetworkHandle> {
  const requests = slirpHostfwdRequests(ports);
  // A private directory for the API socket (mode 0700), removed once the ports are published.
  const dir =
    requests.length > 0 ? mkdtempSync(join(libc.tempDir(), 'rootless-slirp-')) : undefined;
  const apiSocket = dir ? join(dir, 'api.sock') : undefined;
  const args = slirp4netnsArgs({
    pid,
    nsFds: { net: 5, user: 6 },
    readyFd: 3,
    exitFd: 4,
    ...(apiSocket ? { apiSocket } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
  });
  const cleanDir = () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
  // fd 3: it writes there once the network is up; fd 4: it exits when that reaches EOF, which
  // happens when we close our end or die.
  const [readyRead, readyWrite] = libc.pipe2(F.O_CLOEXEC);
  const [exitRead, exitWrite] = libc.pipe2(F.O_CLOEXEC);
  let helper: Helper;
  try {
    helper = await spawnHelper('slirp4netns', setpriv, program, args, [
      readyWrite,
      exitRead,
      ns.net,
      ns.user,
    ]);
  } catch (e) {
    for (const fd of [readyRead, exitWrite]) libc.close(fd);
    cleanDir();
    throw e;
  } finally {
    for (const fd of [readyWrite, exitRead]) libc.close(fd);
  }
  const readyStream = new (process.getBuiltinModule('node:net').Socket)({
    fd: readyRead,
    readable: true,
    writable: false,
  });
  let exitOpen = true;
  const closeExit = () => {
    if (exitOpen) libc.close(exitWrite);
    exitOpen = false;
  };
  const fail = async (e: unknown) => {
    readyStream.destroy();
    closeExit();
    await helper.stop();
    cleanDir();
    throw e;
  };
  try {
    await ready(helper, firstData(readyStream, true), timeoutMs);
    for (const req of requests) await slirpRequest(apiSocket!, req, timeoutMs);
  } catch (e) {
    return fail(await explainHostfwd(e));
  }
  readyStream.destroy();
  // The ports are published: the API socket is not needed any more. Removing it now, not at
  // close, leaves nothing behind even when this process is SIGKILLed later.
  cleanDir();
  return runningHandle('slirp4netns', helper, ports, {
    dns: dnsForwarder('slirp4netns')!,
    address: SLIRP4NETNS_ADDRESS,
    onClose: closeExit,
  });
}

/**
 * slirp4netns says only "slirp_add_hostfwd failed": binding the port here names the reason
 * (EADDRINUSE: address already in use, EACCES…) in the same line.
 */
async function explainHostfwd(e: unknown): Promise<unknown> {
  const port = (e as { port?: { proto: 'tcp' | 'udp'; host_addr: string; host_port: number } })
    .port;
  if (!(e instanceof NetworkError) || !port) return e;
  const why = await bindError(port.proto, port.host_addr, port.host_port);
  if (!why) return e;
  return new NetworkError(e.code, `${e.message} (${why})`, { helper: 'slirp4netns', cause: e });
}

function bindError(proto: 'tcp' | 'udp', host: string, port: number): Promise<string | undefined> {
  const describe = (err: NodeJS.ErrnoException) =>
    err.code === 'EADDRINUSE' ? 'address already in use' : `${err.code ?? 'error'}: ${err.message}`;
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = process
        .getBuiltinModule('node:dgram')
        .createSocket(host.includes(':') ? 'udp6' : 'udp4');
      s.once('error', (err) => resolve(describe(err)));
      s.bind(port, host, () => s.close(() => resolve(undefined)));
      return;
    }
    const srv = process.getBuiltinModule('node:net').createServer();
    srv.once('error', (err) => resolve(describe(err)));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(undefined)));
  });
}

/** One request on slirp4netns's API socket; its `error.desc` becomes a one-line error. */
function slirpRequest(
  path: string,
  req: ReturnType<typeof slirpHostfwdRequests>[number],
  timeoutMs: number,
): Promise<void> {
  const a = req.arguments;
  const what = `${a.host_addr.includes(':') ? `[${a.host_addr}]` : a.host_addr}:${a.host_port}/${a.proto}`;
  return new Promise((resolve, reject) => {
    const sock = process.getBuiltinModule('node:net').connect(path);
    let reply = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new NetworkError('ERR_HELPER_TIMEOUT', `slirp4netns: no answer publishing ${what}`, {
          helper: 'slirp4netns',
        }),
      );
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      reply += d;
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(
        new NetworkError('ERR_HELPER_FAILED', `slirp4netns: cannot publish ${what}: ${e.message}`, {
          helper: 'slirp4netns',
          cause: e,
        }),
      );
    });
    sock.on('end', () => {
      clearTimeout(timer);
      sock.destroy();
      let parsed: { return?: unknown; error?: { desc?: string } };
      try {
        parsed = JSON.parse(reply);
      } catch {
        parsed = { error: { desc: `unexpected answer ${JSON.stringify(reply.slice(0, 200))}` } };
      }
      if (parsed.error || parsed.return === undefined) {
        const desc = parsed.error?.desc ?? 'no answer';
        reject(
          Object.assign(
            new NetworkError(
              'ERR_HELPER_FAILED',
              `slirp4netns: cannot publish ${what}: ${desc.replace(/\s+/g, ' ').trim()}`,
              { helper: 'slirp4netns' },
            ),
            { port: a },
          ),
        );
      } else resolve();
    });
    sock.write(JSON.stringify(req));
    // The API reads the request until EOF or a complete object; half-close to be sure.
    sock.end();
  });
}

function runningHandle(
  name: 'pasta' | 'slirp4netns',
  helper: Helper,
  ports: ResolvedPort[],
  extra: { dns: string; address?: string; onClose?: () => void },
): NetworkHandle {
  let closing: Promise<void> | undefined;
  const exited = helper.exited.then(() => undefined);
  return {
    mode: name,
    helper: name,
    helperPid: helper.pid,
    ports,
    dns: extra.dns,
    ...(extra.address ? { address: extra.address } : {}),
    exited,
    output: () => helper.output(),
    close() {
      closing ??= (async () => {
        extra.onClose?.();
        await helper.stop();
      })();
      return closing;
    },
  };
}
