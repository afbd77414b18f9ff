import type { Readable } from 'node:stream';
import { SpawnError, type SpawnStep } from './errors.js';
import { LineDecoder, type ToParent } from './protocol.js';

export type InboxEvent =
  | ToParent
  | { t: 'eof' }
  | { t: 'launcher-exit'; code: number | null; signal: string | null };

/** The parent's end of the channel: messages in order, awaited one at a time with a deadline. */
export class Inbox {
  private readonly events: InboxEvent[] = [];
  private waiter: ((e: InboxEvent) => void) | undefined;
  /** `decoder`: one that already read the start of the stream (a pooled launcher's). */
  constructor(
    stream: Readable,
    private readonly decoder = new LineDecoder(),
  ) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      try {
        for (const m of this.decoder.push(chunk)) {
          // A pooled launcher taken before it was warm says so first: nothing to wait for.
          if ((m as ToParent).t !== 'warm') this.push(m as ToParent);
        }
      } catch {
        this.push({
          t: 'error',
          error: { step: 'handshake', message: 'malformed message on the channel' },
        });
      }
    });
    stream.on('end', () => this.push({ t: 'eof' }));
    stream.on('error', () => this.push({ t: 'eof' }));
  }

  push(e: InboxEvent): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(e);
    } else this.events.push(e);
  }

  /** The next event; a SpawnError of the given step when none comes within the deadline. */
  next(step: SpawnStep, timeoutMs: number, what: string): Promise<InboxEvent> {
    const queued = this.events.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(
          new SpawnError({
            step,
            message: `timed out after ${timeoutMs} ms waiting for ${what}`,
            code: 'ETIMEDOUT',
          }),
        );
      }, timeoutMs);
      this.waiter = (e) => {
        clearTimeout(timer);
        resolve(e);
      };
    });
  }
}
