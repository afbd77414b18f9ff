import type { ChildProcess } from 'node:child_process';
import { fcntl as F, socket as S } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { SpawnError } from './errors.js';
import { launcherPath } from './launcher-path.js';
import { decodeToParent, LineDecoder } from './protocol.js';
import type { LauncherChannels } from './stdio.js';

export interface LauncherPoolOptions {
  /** How many launchers to keep started and waiting (default 1). */
  size?: number;
  /** The Node binary that runs them (default: this one). A spawn asking for another one does not use the pool. */
  nodePath?: string;
}

/**
 * Launchers started ahead of time, each serving spawn after spawn (one at a time), so that a
 * spawn neither waits for Node's start-up nor costs a Node process of its own. They do not keep
 * the event loop alive and die with the thread that created them.
 */
export interface LauncherPool {
  readonly size: number;
  /** The Node binary its launchers run: a spawn asking for another one does not take from it. */
  readonly nodePath: string;
  /**
   * Hands over an idle launcher (warm if there is one), now the caller's until it gives it back
   * (release) or kills it; undefined when none is idle.
   */
  take(): PooledLauncher | undefined;
  /**
   * An idle launcher, waiting for one to be given back while all `size` are busy; undefined
   * once the pool is closed. A spawn calls it once per try.
   */
  acquire(): Promise<PooledLauncher | undefined>;
  /**
   * Gives a launcher back, once the spawn it served has exec'd its program: it takes the next
   * spawn. A launcher that was killed instead is replaced.
   */
  release(launcher: PooledLauncher): void;
  /** Starts launchers up to `size`; resolves once each has loaded its modules (or died). */
  ready(): Promise<void>;
  /** Kills the idle launchers (a busy one once it is given back) and resolves once they are gone. Spawns after this start their own. */
  close(): Promise<void>;
}

/** A pre-started launcher, as a spawn takes it over. */
export interface PooledLauncher extends LauncherChannels {
  process: ChildProcess;
}

interface Member extends PooledLauncher {
  warm: boolean;
  busy: boolean;
  gone: Promise<void>;
  decoder: LineDecoder;
}

/** Starts a pool of launchers (`size` of them, in the background). */
export function createLauncherPool(options: LauncherPoolOptions = {}): LauncherPool {
  return new Pool(options);
}

export class Pool implements LauncherPool {
  readonly size: number;
  readonly nodePath: string;
  /** Every launcher of the pool, idle or busy. */
  private readonly members: Member[] = [];
  private closed = false;
  /** ready() callers, waiting for every launcher to be warm. */
  private readonly waiters: Array<() => void> = [];
  /** acquire() callers, waiting for a launcher to be given back (or replaced). */
  private readonly borrowers: Array<(m: PooledLauncher | undefined) => void> = [];
  private refill: NodeJS.Immediate | undefined;

  constructor(options: LauncherPoolOptions) {
    const size = options.size ?? 1;
    if (!(Number.isInteger(size) && size >= 1))
      throw new SpawnError({ step: 'options', message: `bad pool size ${size}` });
    this.size = size;
    this.nodePath = options.nodePath ?? process.execPath;
    this.fill();
  }

  take(): PooledLauncher | undefined {
    if (this.closed) return undefined;
    const idle = this.members.filter((m) => !m.busy);
    // Warm if there is one, else the one started first.
    const m = idle.find((x) => x.warm) ?? idle[0];
    if (!m) return undefined;
    m.busy = true;
    // It says it is warm again once it has closed what this spawn sends it (which may come
    // before or after the spawn gives it back).
    m.warm = false;
    m.process.ref();
    m.channel.ref();
    this.notify();
    return m;
  }

  acquire(): Promise<PooledLauncher | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    this.fill();
    const m = this.take();
    if (m || this.members.length === 0) return Promise.resolve(m);
    return new Promise((resolve) => this.borrowers.push(resolve));
  }

  release(launcher: PooledLauncher): void {
    const m = this.members.find((x) => x === launcher);
    if (!m?.busy) return;
    m.busy = false;
    m.process.unref();
    m.channel.unref();
    if (this.closed) {
      this.members.splice(this.members.indexOf(m), 1);
      this.dispose(m);
      return;
    }
    this.lend();
  }

  ready(): Promise<void> {
    this.fill();
    if (this.settled()) return Promise.resolve();
    // Pending launchers are unreferenced: keep the event loop alive while someone waits.
    const keep = setInterval(() => {}, 1 << 30);
    return new Promise((resolve) => {
      this.waiters.push(() => {
        clearInterval(keep);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.refill) clearImmediate(this.refill);
    for (const b of this.borrowers.splice(0)) b(undefined);
    const idle = this.members.filter((m) => !m.busy);
    for (const m of idle) {
      this.members.splice(this.members.indexOf(m), 1);
      m.process.ref();
      this.dispose(m);
    }
    this.notify();
    await Promise.all(idle.map((m) => m.gone));
  }

  /** Hands idle launchers to the spawns waiting in acquire(). */
  private lend(): void {
    while (this.borrowers.length > 0) {
      const m = this.take();
      if (!m) return;
      this.borrowers.shift()!(m);
    }
  }

  private settled(): boolean {
    return this.closed || this.members.every((m) => m.warm || m.busy);
  }

  private notify(): void {
    if (!this.settled()) return;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Replaces launchers that died (in the background: not on the event loop turn that noticed). */
  private scheduleFill(): void {
    if (this.refill || this.closed) return;
    this.refill = setImmediate(() => {
      this.refill = undefined;
      this.fill();
      this.lend();
    });
    this.refill.unref();
  }

  private fill(): void {
    while (!this.closed && this.members.length < this.size) {
      const m = this.start();
      if (!m) return;
      this.members.push(m);
    }
  }

  private start(): Member | undefined {
    let script: string;
    try {
      // The CommonJS bundle, as for a launcher started for a spawn (an abort that once kept
      // pooled launchers on the ESM build came with an execve inside the clone callback).
      script = launcherPath();
    } catch {
      return undefined;
    }
    const [mine, theirs] = libc.socketpair(S.AF_UNIX, S.SOCK_STREAM | S.SOCK_CLOEXEC);
    const [fdMine, fdTheirs] = libc.socketpair(S.AF_UNIX, S.SOCK_STREAM | S.SOCK_CLOEXEC);
    libc.fcntl(fdMine, F.F_SETFL, libc.fcntl(fdMine, F.F_GETFL) | F.O_NONBLOCK);
    let child: ChildProcess;
    try {
      child = process
        .getBuiltinModule('node:child_process')
        .spawn(
          this.nodePath,
          ['--single-threaded', '--expose-gc', script, '3', '--pooled', String(process.pid)],
          { stdio: ['ignore', 'ignore', 'ignore', theirs, fdTheirs], env: {} },
        );
    } catch {
      for (const fd of [mine, fdMine]) libc.close(fd);
      return undefined;
    } finally {
      for (const fd of [theirs, fdTheirs]) libc.close(fd);
    }
    const channel = new (process.getBuiltinModule('node:net').Socket)({
      fd: mine,
      readable: true,
      writable: true,
    });
    channel.setEncoding('utf8');
    child.unref();
    channel.unref();
    const gone = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const m: Member = {
      process: child,
      channel,
      fdChannel: fdMine,
      decoder: new LineDecoder(),
      warm: false,
      busy: false,
      gone,
    };
    // What it says on the control channel: that it is warm, after start-up and after each spawn.
    const onData = (chunk: string) => {
      try {
        for (const msg of m.decoder.push(chunk)) {
          if (decodeToParent(msg).t === 'warm') m.warm = true;
        }
      } catch {
        return onGone();
      }
      this.notify();
    };
    // Dead (killed by a spawn that failed, or by itself) or its channel closed: dropped and
    // replaced.
    const onGone = () => {
      const i = this.members.indexOf(m);
      if (i < 0) return;
      this.members.splice(i, 1);
      this.dispose(m);
      this.notify();
      this.scheduleFill();
    };
    channel.on('data', onData);
    channel.on('end', onGone);
    channel.on('error', onGone);
    child.on('exit', onGone);
    child.on('error', onGone);
    return m;
  }

  /** Kills a launcher and closes our ends of its channels. */
  private dispose(m: Member): void {
    if (m.process.exitCode === null && m.process.signalCode === null) m.process.kill('SIGKILL');
    m.channel.destroy();
    if (m.fdChannel >= 0) libc.close(m.fdChannel);
    m.fdChannel = -1;
  }
}
