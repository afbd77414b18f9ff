import { EventEmitter } from 'node:events';
import { fcntl as F } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';

/** What spawn() needs of a launcher process: ChildProcess has it, and so does SpawnedLauncher. */
export interface LauncherProcess {
  // biome-ignore lint/suspicious/noExplicitAny: the shape of EventEmitter's (and ChildProcess's) once.
  once(event: string, listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: as once.
  off?(event: string, listener: (...args: any[]) => void): unknown;
  kill(signal?: NodeJS.Signals | number): boolean;
}

/**
 * A launcher started by posix_spawn on a libuv pool thread rather than by child_process.spawn,
 * which forks the whole Node process and holds the event loop until the exec (hundreds of ms for
 * a burst of spawns on a loaded machine). It emits 'exit' (code, signal) as a ChildProcess does,
 * from the SIGCHLD/waitpid reaper (libuv does not know the pid), or 'error' if it could not be
 * started.
 */
export class SpawnedLauncher extends EventEmitter implements LauncherProcess {
  /** Its pid once started (0 until then). */
  pid = 0;
  private pendingSignal: NodeJS.Signals | number | undefined;

  constructor(started: Promise<number>) {
    super();
    started.then(
      (pid) => {
        this.pid = pid;
        libc.watchExit(pid).then((s) => this.emit('exit', s.code, s.signal));
        if (this.pendingSignal !== undefined) this.kill(this.pendingSignal);
      },
      (err) => this.emit('error', err),
    );
  }

  /** As ChildProcess.kill; a signal sent before the launcher has started is sent once it has. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.pid === 0) {
      this.pendingSignal = signal;
      return true;
    }
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Starts `path argv…` with `stdio[i]` as its descriptor i: 'inherit' (ours), 'ignore'
 * (/dev/null) or a descriptor of ours, on a libuv pool thread. Each source is first copied above
 * the targets' range (so that no dup2 overwrites a source still to be copied, and so that the
 * caller may close its own descriptors at once); the copies are closed once it has started.
 * Fails as ChildProcess does: an 'error' event.
 */
export function spawnLauncher(
  path: string,
  argv: readonly string[],
  stdio: ReadonlyArray<'inherit' | 'ignore' | number>,
): SpawnedLauncher {
  const lifted: number[] = [];
  const closeLifted = () => {
    for (const fd of lifted.splice(0)) libc.close(fd);
  };
  let started: Promise<number>;
  try {
    const actions: libc.SpawnFileAction[] = stdio.map((spec, target) => {
      if (spec === 'ignore')
        return { op: 'open', target, path: '/dev/null', flags: F.O_RDWR } as const;
      const source = spec === 'inherit' ? target : spec;
      // A copy above the range, also for 'inherit': dup2 onto the target then clears FD_CLOEXEC.
      const high = libc.fcntl(source, F.F_DUPFD_CLOEXEC, stdio.length);
      lifted.push(high);
      return { op: 'dup2', fd: high, target } as const;
    });
    started = libc.posixSpawnAsync(path, argv, [], actions);
  } catch (e) {
    closeLifted();
    throw e;
  }
  started.then(closeLifted, closeLifted);
  return new SpawnedLauncher(started);
}
