import { constants as osConstants } from 'node:os';
import { wait as W } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';

/** How a process ended: an exit code, or the name of the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

const waiting = new Map<number, (status: ExitStatus) => void>();
let timer: NodeJS.Timeout | undefined;

/**
 * Reaps children that libuv does not know (the containers are the parent's children through
 * CLONE_PARENT) without blocking the event loop: on SIGCHLD, waitpid(pid, WNOHANG) for each
 * watched pid (a blocking waitpid would freeze the loop; an async koffi call would hold a libuv
 * pool thread per container). A slow interval backs the signal up and keeps the loop alive while
 * a container runs, as a child process started by Node would.
 */
export function watchExit(pid: number): Promise<ExitStatus> {
  return new Promise((resolve) => {
    waiting.set(pid, resolve);
    if (waiting.size === 1) {
      process.on('SIGCHLD', poll);
      timer = setInterval(poll, 250);
    }
    poll();
  });
}

function poll(): void {
  for (const [pid, resolve] of waiting) {
    let r: libc.WaitResult;
    try {
      r = libc.waitpid(pid, W.WNOHANG | W.__WALL);
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
  }
}
