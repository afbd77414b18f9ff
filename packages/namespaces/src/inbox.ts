import type { Readable } from 'node:stream';
import { errno as E, fcntl as F } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { SpawnError, type SpawnStep } from './errors.js';
import { decodeToParent, LineDecoder, type ToParent } from './protocol.js';

export type InboxEvent =
  | ToParent
  | { t: 'eof' }
  | { t: 'launcher-exit'; code: number | null; signal: string | null };

/** The parent's end of the channel: messages in order, awaited one at a time with a deadline. */
export class Inbox {
  private readonly events: InboxEvent[] = [];
  private waiter: ((e: InboxEvent) => void) | undefined;
  /**
   * `stream`: our end of the channel, read as it comes (none for an in-process spawn, which
   * calls readToEnd). `decoder`: one that already read the start of the stream (a pooled
   * launcher's).
   */
  constructor(
    stream?: Readable,
    private readonly decoder = new LineDecoder(),
  ) {
    if (!stream) return;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.feed(chunk));
    stream.on('end', () => this.push({ t: 'eof' }));
    stream.on('error', () => this.push({ t: 'eof' }));
  }

  /**
   * Reads the channel's descriptor to its end, synchronously. For an in-process spawn once the
   * clone has returned: the child has then executed the program or exited, so its end is closed
   * and everything it said is here, with no stream (node:net) needed. The deadline is a guard
   * against a copy of its end that something else might hold.
   */
  readToEnd(fd: number, timeoutMs: number): void {
    const text = new TextDecoder();
    const buf = Buffer.alloc(4096);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || libc.poll([{ fd, events: F.POLLIN }], left)[0] === 0) break;
      const n = libc.read(fd, buf);
      if (n === 0) break;
      this.feed(text.decode(buf.subarray(0, n), { stream: true }));
    }
    this.push({ t: 'eof' });
  }

  private feed(chunk: string): void {
    try {
      for (const raw of this.decoder.push(chunk)) {
        const m = decodeToParent(raw);
        // A pooled launcher taken before it was warm says so first: nothing to wait for.
        if (m.t !== 'warm') this.push(m);
      }
    } catch (e) {
      this.push({
        t: 'error',
        error: { step: 'handshake', message: (e as Error).message, code: 'ERR_PROTOCOL' },
      });
    }
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
            errno: E.ETIMEDOUT,
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

/**
 * The parent's end of the channel: one named wait per transition of the protocol, each with
 * its deadline, each failing with a SpawnError that names the step (the child's own error when
 * it sent one, the launcher's death, the channel's end, or the deadline).
 */
export class ParentEnd {
  /** Set once the parent kills the launcher itself: its exit is then no failure. */
  launcherExitExpected = false;
  /** Set when the launcher or child sent an error (it then gives up by itself). */
  errorReported = false;

  constructor(readonly inbox: Inbox) {}

  /** The child's host pid (and the intermediate process's, entering a pid namespace). */
  async waitPid(ms: number): Promise<{ pid: number; intermediate?: number }> {
    const m = await this.expect('handshake', ms, "the child's pid", 'pid');
    return m as { pid: number; intermediate?: number };
  }

  /** The child has run its setup and taken its final credentials. */
  async waitReady(ms: number): Promise<void> {
    await this.expect('setup', ms, 'the child to be set up', 'ready');
  }

  /** The channel's end after `exec`: the child's copy was close-on-exec, so the exec happened. */
  async waitExecConfirmed(ms: number): Promise<void> {
    await this.expect('exec', ms, 'the exec to be confirmed', 'eof');
  }

  /**
   * After an error was reported: whether the channel ends (every copy closed: the child has
   * exited and a pooled launcher's clone has returned) within `ms`, the launcher alive.
   */
  async waitClosed(ms: number): Promise<boolean> {
    for (;;) {
      let e: InboxEvent;
      try {
        e = await this.inbox.next('exec', ms, 'the channel to close');
      } catch {
        return false;
      }
      if (e.t === 'eof') return true;
      if (e.t === 'launcher-exit') return false;
    }
  }

  private async expect(
    step: 'handshake' | 'setup' | 'exec',
    ms: number,
    what: string,
    wanted: InboxEvent['t'],
  ): Promise<InboxEvent> {
    let e = await this.inbox.next(step, ms, what);
    if (e.t === wanted) return e;
    if (e.t === 'eof' && !this.launcherExitExpected) {
      // The launcher's death closes the channel and is reported by libuv, in either order:
      // give the second event a moment, so that the cause is named rightly.
      const next = await this.inbox.next(step, 500, what).catch(() => e);
      if (next.t === 'launcher-exit') e = next;
    }
    if (e.t === 'error') {
      this.errorReported = true;
      throw new SpawnError(e.error);
    }
    if (e.t === 'launcher-exit') {
      throw new SpawnError({
        step: 'launcher',
        message: `the launcher exited unexpectedly (${e.signal ? `signal ${e.signal}` : `status ${e.code}`}) while waiting for ${what}`,
      });
    }
    if (e.t !== 'eof') {
      throw new SpawnError({
        step,
        message: `unexpected message ${e.t} while waiting for ${what}`,
        code: 'ERR_PROTOCOL',
      });
    }
    throw new SpawnError({ step, message: `the channel closed while waiting for ${what}` });
  }
}
