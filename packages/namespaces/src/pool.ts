import { type ChildProcess, spawn as spawnProcess } from 'node:child_process';
import { Socket } from 'node:net';
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
 * Launchers started ahead of time, so that a spawn does not wait for Node's start-up. They do
 * not keep the event loop alive and die with the thread that created them.
 */
export interface LauncherPool {
  readonly size: number;
  /** The Node binary its launchers run: a spawn asking for another one does not take from it. */
  readonly nodePath: string;
  /**
   * Hands over a started launcher (warm if there is one), now the caller's; undefined when
   * there is none. A spawn calls it once per try.
   */
  take(): PooledLauncher | undefined;
  /** Starts launchers up to `size`; resolves once each has loaded its modules (or died). */
  ready(): Promise<void>;
  /** Kills the waiting launchers and resolves once they are gone. Spawns after this start their own. */
  close(): Promise<void>;
}

/** A pre-started launcher, as a spawn takes it over. */
export interface PooledLauncher extends LauncherChannels {
  process: ChildProcess;
  /** What it has said so far (that it is warm), and any start of what follows. */
  decoder: LineDecoder;
}

interface Member extends PooledLauncher {
  warm: boolean;
  gone: Promise<void>;
  detach(): void;
}

/** Starts a pool of launchers (`size` of them, in the background). */
export function createLauncherPool(options: LauncherPoolOptions = {}): LauncherPool {
  return new Pool(options);
}

export class Pool implements LauncherPool {
  readonly size: number;
  readonly nodePath: string;
  private readonly members: Member[] = [];
  private closed = false;
  private readonly waiters: Array<() => void> = [];
  private refill: NodeJS.Immediate | undefined;

  constructor(options: LauncherPoolOptions) {
    const size = options.size ?? 1;
    if (!(Number.isInteger(size) && size >= 1))
      throw new SpawnError({ step: 'options', message: `bad pool size ${size}` });
    this.size = size;
    this.nodePath = options.nodePath ?? process.execPath;
    this.fill();
  }

  /**
   * A started launcher, warm if there is one (else the one started first), now the caller's;
   * undefined when the pool is empty. A replacement is started right after.
   */
  take(): PooledLauncher | undefined {
    if (this.closed) return undefined;
    if (!this.refill) {
      this.refill = setImmediate(() => {
        this.refill = undefined;
        this.fill();
      });
      this.refill.unref();
    }
    const warm = this.members.findIndex((m) => m.warm);
    const i = warm >= 0 ? warm : this.members.length > 0 ? 0 : -1;
    if (i < 0) return undefined;
    const [m] = this.members.splice(i, 1);
    m!.detach();
    m!.process.ref();
    m!.channel.ref();
    this.notify();
    return {
      process: m!.process,
      channel: m!.channel,
      fdChannel: m!.fdChannel,
      decoder: m!.decoder,
    };
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
    const members = this.members.splice(0);
    for (const m of members) {
      m.process.ref();
      this.dispose(m);
    }
    this.notify();
    await Promise.all(members.map((m) => m.gone));
  }

  private settled(): boolean {
    return this.closed || this.members.every((m) => m.warm);
  }

  private notify(): void {
    if (!this.settled()) return;
    for (const w of this.waiters.splice(0)) w();
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
      // The ESM launcher: with the CommonJS bundle, a pooled launcher's clone child aborted
      // (SIGSEGV status, abort() in libc) when the program had an extra descriptor, in the
      // end-to-end tests only; not understood yet. Pooled launchers start ahead of time, so
      // their start-up cost is off the spawn's path anyway.
      script = launcherPath('esm');
    } catch {
      return undefined;
    }
    const [mine, theirs] = libc.socketpair(S.AF_UNIX, S.SOCK_STREAM | S.SOCK_CLOEXEC);
    const [fdMine, fdTheirs] = libc.socketpair(S.AF_UNIX, S.SOCK_STREAM | S.SOCK_CLOEXEC);
    libc.fcntl(fdMine, F.F_SETFL, libc.fcntl(fdMine, F.F_GETFL) | F.O_NONBLOCK);
    let child: ChildProcess;
    try {
      child = spawnProcess(
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
    const channel = new Socket({ fd: mine, readable: true, writable: true });
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
      gone,
      detach: () => {
        channel.off('data', onData);
        channel.off('end', onGone);
        channel.off('error', onGone);
        child.off('exit', onGone);
        child.off('error', onGone);
      },
    };
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
    // Dead while waiting (or its channel closed): dropped, replaced at the next spawn.
    const onGone = () => {
      const i = this.members.indexOf(m);
      if (i < 0) return;
      this.members.splice(i, 1);
      this.dispose(m);
      this.notify();
    };
    channel.on('data', onData);
    channel.on('end', onGone);
    channel.on('error', onGone);
    child.on('exit', onGone);
    child.on('error', onGone);
    return m;
  }

  /** Kills a launcher no spawn has taken and closes our ends of its channels. */
  private dispose(m: Member): void {
    if (m.process.exitCode === null && m.process.signalCode === null) m.process.kill('SIGKILL');
    m.channel.destroy();
    if (m.fdChannel >= 0) libc.close(m.fdChannel);
    m.fdChannel = -1;
  }
}
