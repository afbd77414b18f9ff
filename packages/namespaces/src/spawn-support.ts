/** The parts of a spawn shared by spawn.ts (through a launcher) and here.ts (in this process). */
import type { Readable } from 'node:stream';
import { errno as E } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import type { NetworkHandle } from './network.js';
import type { ExitStatus } from './reaper.js';
import type { NamespacedProcess } from './spawn.js';
import type { Plumbing } from './stdio.js';

export function handle(
  pid: number,
  plumbing: Plumbing,
  reaped: Promise<ExitStatus>,
  receivedFds: number[],
  network?: NetworkHandle,
): NamespacedProcess {
  let done = false;
  const streams = [plumbing.stdout, plumbing.stderr].filter((s): s is Readable => s !== null);
  const exited = reaped.then(async (status) => {
    done = true;
    // The helper keeps the network namespace alive and does not notice the program's end.
    await network?.close();
    // As Node does for its children: nobody can read stdin any more, and output nobody
    // reads is drained, so that it can end.
    plumbing.stdin?.destroy();
    for (const s of streams) if (s.readableFlowing === null) s.resume();
    await Promise.all(
      streams.map((s) =>
        s.readableEnded || s.destroyed ? undefined : new Promise((r) => s.once('close', r)),
      ),
    );
    return status;
  });
  return {
    pid,
    stdin: plumbing.stdin,
    stdout: plumbing.stdout,
    stderr: plumbing.stderr,
    receivedFds,
    ...(network ? { network } : {}),
    exited,
    kill(signal: NodeJS.Signals | number = 'SIGTERM') {
      if (done) return false;
      return killQuietly(pid, signal);
    },
  };
}

/** The promise, or an ETIMEDOUT error after `ms`. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new libc.RootlessTsError(`timed out after ${ms} ms ${what}`, {
            code: 'ETIMEDOUT',
            errno: E.ETIMEDOUT,
          }),
        ),
      ms,
    );
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export function killQuietly(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** `f()` as a promise, a synchronous throw included. */
export function callNow<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects (so one not awaited yet cannot be an unhandled rejection). */
export function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
