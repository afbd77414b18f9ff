import { readSync, writeSync } from 'node:fs';
import type { SerializedError } from './errors.js';
import {
  decodeToChild,
  encode,
  type LaunchConfig,
  LineDecoder,
  ProtocolError,
  type ToChild,
  type ToParent,
} from './protocol.js';

/** The parent closed the channel (it is gone, or gave up) while the child waited for it. */
export class ChannelClosedError extends Error {
  override readonly name = 'ChannelClosedError';
  readonly code = 'ERR_CHANNEL_CLOSED';
}

/**
 * The launcher's and child's end of the channel, with one named wait per transition of the
 * protocol (protocol.ts), each checking the message it gets. Only synchronous I/O: in the clone
 * child the event loop is frozen (Node's callbacks never run in a CLONE_VM child), so nothing
 * asynchronous could ever complete there. These waits have no deadline of their own: the
 * parent holds the deadline of every transition and kills the child when one passes.
 */
export class SyncChannel {
  private decoder = new LineDecoder();
  /**
   * A UTF-8 character split across two reads must be joined before it is decoded (a streaming
   * TextDecoder: Node loads it at start-up, where node:string_decoder would be one more module).
   */
  private utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  private queue: unknown[] = [];
  private readonly chunk = Buffer.alloc(4096);

  constructor(readonly fd: number) {}

  /**
   * The same channel on another descriptor (a copy the caller made with dup): what was read
   * and not yet received stays queued there.
   */
  movedTo(fd: number): SyncChannel {
    const moved = new SyncChannel(fd);
    moved.decoder = this.decoder;
    moved.utf8 = this.utf8;
    moved.queue = this.queue;
    return moved;
  }

  /** The next message, checked; null at EOF (the parent is gone or gave up). */
  receive(): ToChild | null {
    const raw = this.receiveRaw();
    return raw === null ? null : decodeToChild(raw);
  }

  /** The next message as parsed JSON, unchecked; null at EOF. */
  receiveRaw(): unknown {
    while (this.queue.length === 0) {
      let n: number;
      try {
        n = readSync(this.fd, this.chunk, 0, this.chunk.length, null);
      } catch (e) {
        if (
          (e as NodeJS.ErrnoException).code === 'EAGAIN' ||
          (e as NodeJS.ErrnoException).code === 'EINTR'
        )
          continue;
        return null;
      }
      if (n === 0) return null;
      this.queue.push(
        ...this.decoder.push(this.utf8.decode(this.chunk.subarray(0, n), { stream: true })),
      );
    }
    return this.queue.shift();
  }

  private expect<T extends ToChild['t']>(t: T): Extract<ToChild, { t: T }> {
    const m = this.receive();
    if (m === null) throw new ChannelClosedError(`the parent closed the channel before ${t}`);
    if (m.t !== t) throw new ProtocolError(`expected ${t}, got ${m.t}`);
    return m as Extract<ToChild, { t: T }>;
  }

  /** Launcher, pooled: says it has started and loaded its modules. */
  reportWarm(): void {
    this.trySend({ t: 'warm' });
  }
  /** Launcher, pooled: waits to be taken; the number of descriptors sent on the fd channel. */
  waitFds(): number {
    return this.expect('fds').count;
  }
  /** Launcher: waits for what to launch. */
  waitConfig(): LaunchConfig {
    return this.expect('config').config;
  }
  /** Child: its host pid (and the intermediate process's, entering a pid namespace). */
  reportPid(pid: number, intermediate?: number): void {
    this.send({ t: 'pid', pid, ...(intermediate ? { intermediate } : {}) });
  }
  /** Child: waits until the parent has written its id maps. */
  waitMapped(): void {
    this.expect('mapped');
  }
  /** Child: set up, final credentials taken. */
  reportReady(): void {
    this.send({ t: 'ready' });
  }
  /** Child: waits until the launcher is gone and it may execute the program. */
  waitExec(): void {
    this.expect('exec');
  }
  /** Any: why it gives up (the parent may already be gone). */
  reportError(error: SerializedError): void {
    this.trySend({ t: 'error', error });
  }

  send(m: ToParent): void {
    const data = Buffer.from(encode(m));
    for (let off = 0; off < data.length; ) off += writeSync(this.fd, data, off);
  }

  /** Sends without throwing: used on the way out, when the parent may already be gone. */
  trySend(m: ToParent): void {
    try {
      this.send(m);
    } catch {
      // Nobody is listening any more; the exit status still tells.
    }
  }
}
