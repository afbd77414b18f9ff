import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { runAs, STANDARD_PATH, type TestUser } from '@rootless-ts/testkit';

/** A process of `user` in a new, still unmapped user namespace (made by unshare(1)). */
export interface Target {
  pid: number;
  /** Runs a command in the target's user namespace, keeping the caller's ids (nsenter). */
  enter(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function startTarget(user: TestUser): Promise<Target> {
  const root = process.getuid!() === 0;
  const child: ChildProcess = spawn('unshare', ['--user', 'sleep', '120'], {
    stdio: 'ignore',
    env: { PATH: STANDARD_PATH },
    ...(root ? { uid: user.uid, gid: user.gid } : {}),
  });
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // unshare(1) execs sleep in the new namespace: wait until the namespace differs from ours.
  const mine = readlinkSync('/proc/self/ns/user');
  for (let i = 0; ; i++) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/user`) !== mine) break;
    } catch {
      // not there yet
    }
    if (i > 500) throw new Error(`unshare --user did not create a namespace (pid ${pid})`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    pid,
    enter: (args) =>
      runAs(user, 'nsenter', ['--user', `--target=${pid}`, '--preserve-credentials', ...args]),
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
      // Nothing left behind: the namespace's only process is gone.
      if (existsSync(`/proc/${pid}`)) throw new Error(`process ${pid} is still there`);
    },
  };
}
