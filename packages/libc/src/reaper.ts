import { signal as S, wait as W } from '@rootless-ts/constants';
import { type WaitResult, waitpid } from './process.js';

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

/**
 * Each standard signal's name, from the C headers (not node:os, whose load costs a CLI 0.25 MiB):
 * the first name the headers give a number, as Node names the signal that ended a child
 * (SIGABRT, not its alias SIGIOT; SIGCHLD, not SIGCLD; SIGIO, not SIGPOLL).
 */
const signalNames = new Map<number, NodeJS.Signals>();
for (const name in S) {
  const n = S[name as keyof typeof S];
  if (/^SIG[A-Z0-9]+$/.test(name) && n >= 1 && n < S.SIGRTMIN && !signalNames.has(n))
    signalNames.set(n, name as NodeJS.Signals);
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
      r.signaled
        ? { code: null, signal: signalNames.get(sig) ?? (`SIG${sig}` as NodeJS.Signals) }
        : { code: r.exitCode, signal: null },
    );
  }
  if (waiting.size === 0 && timer) {
    process.off('SIGCHLD', poll);
    clearInterval(timer);
    timer = undefined;
  } else refTimer();
}
