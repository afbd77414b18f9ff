import { readSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { encode, LineDecoder, type ToChild, type ToParent } from './protocol.js';

/**
 * The launcher's and child's end of the channel. Only synchronous I/O: in the clone child the
 * event loop is frozen (the launcher's thread waits in clone), so nothing asynchronous could ever complete there.
 */
export class SyncChannel {
  private decoder = new LineDecoder();
  /** A UTF-8 character split across two reads must be joined before it is decoded. */
  private utf8 = new StringDecoder('utf8');
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

  /** The next message, or null at EOF (the parent is gone or gave up). */
  receive(): ToChild | null {
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
      this.queue.push(...this.decoder.push(this.utf8.write(this.chunk.subarray(0, n))));
    }
    return this.queue.shift() as ToChild;
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
