import { fcntl as F } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';

/**
 * Runs a small helper program (newuidmap, newgidmap) to its end without forking this Node
 * process and without holding the event loop: `posix_spawn` (CLONE_VM | CLONE_VFORK in glibc, no
 * page table copied) on a libuv pool thread, where `child_process.spawn` forks the whole process
 * and keeps the event loop waiting until the helper has exec'd. Its stdin and stdout are /dev/null, its stderr a pipe read once it has
 * exited (a helper's message is a line or two; a pipe holds 64 KiB); reaped by the same
 * SIGCHLD/waitpid reaper as the containers. An empty environment, as the helpers need none.
 */
export async function runHelper(
  path: string,
  argv: readonly string[],
): Promise<libc.ExitStatus & { stderr: string }> {
  const [readEnd, writeEnd] = libc.pipe2(F.O_CLOEXEC);
  let pid: number;
  try {
    // On a pool thread: the event loop goes on while the helper starts.
    pid = await libc.posixSpawnAsync(
      path,
      argv,
      [],
      [
        { op: 'open', target: 0, path: '/dev/null', flags: F.O_RDONLY },
        { op: 'open', target: 1, path: '/dev/null', flags: F.O_WRONLY },
        // dup2 clears FD_CLOEXEC on the copy: the helper keeps its stderr, and only that.
        { op: 'dup2', fd: writeEnd, target: 2 },
      ],
    );
  } catch (e) {
    libc.close(readEnd);
    throw e;
  } finally {
    libc.close(writeEnd);
  }
  const status = await libc.watchExit(pid);
  let stderr: Buffer;
  try {
    libc.fcntl(readEnd, F.F_SETFL, libc.fcntl(readEnd, F.F_GETFL) | F.O_NONBLOCK);
    stderr = libc.readAvailable(readEnd);
  } finally {
    libc.close(readEnd);
  }
  return { ...status, stderr: stderr.toString('utf8') };
}
