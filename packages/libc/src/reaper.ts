import { wait as W } from '@rootless-ts/constants';
import { type WaitResult, waitpid } from './process.js';
import { signalName } from './signals.js';

/** How a process ended: an exit code, or the name of the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WatchExitOptions {
  /**
   * Whether the wait keeps the event loop alive, as a child process started by Node does
   * (default true). A helper that must not keep its parent running passes false.
   */
  ref?: boolean;
}

const waiting = new Map<number, { resolve: (status: ExitStatus) => void; ref: boolean }>();
let timer: NodeJS.Timeout | undefined;

/**
 * Resolves when the child `pid` has ended, and reaps it: for children that libuv does not know
 * (started by posixSpawn, or clone children), without blocking the event loop. On SIGCHLD,
 * waitpid(pid, WNOHANG) for each watched pid (a blocking waitpid would freeze the loop; an
 * asynchronous koffi call would hold a libuv pool thread per child). A slow interval backs the
 * signal up and, for the waits that `ref`, keeps the loop alive.
 */
export function watchExit(pid: number, options: WatchExitOptions = {}): Promise<ExitStatus> {
  return new Promise((resolve) => {
    waiting.set(pid, { resolve, ref: options.ref ?? true });
    if (!timer) {
      process.on('SIGCHLD', poll);
      timer = setInterval(poll, 250);
    }
    refTimer();
    poll();
  });
}

function refTimer(): void {
  if (!timer) return;
  if ([...waiting.values()].some((w) => w.ref)) timer.ref();
  else timer.unref();
}

function poll(): void {
  for (const [pid, { resolve }] of waiting) {
    let r: WaitResult;
    try {
      r = waitpid(pid, W.WNOHANG | W.__WALL);
    } catch {
      // ECHILD: someone else reaped it; its status is lost.
      waiting.delete(pid);
      resolve({ code: null, signal: null });
      continue;
    }
    if (r.pid !== pid || !(r.exited || r.signaled)) continue;
    waiting.delete(pid);
    const sig = r.termSignal ?? 0;
    resolve(
      r.signaled ? { code: null, signal: signalName(sig) } : { code: r.exitCode, signal: null },
    );
  }
  if (waiting.size === 0 && timer) {
    process.off('SIGCHLD', poll);
    clearInterval(timer);
    timer = undefined;
  } else refTimer();
}
