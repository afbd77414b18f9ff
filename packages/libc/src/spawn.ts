import { errnoError } from './errors.js';
import { fn, type NativeFunction } from './library.js';

/** What the child's descriptor table gets before the exec, in order (posix_spawn's file actions). */
export type SpawnFileAction =
  | { op: 'dup2'; fd: number; target: number }
  | { op: 'open'; target: number; path: string; flags: number; mode?: number }
  | { op: 'close'; fd: number };

// posix_spawn_file_actions_t is 80 bytes in glibc (x64 and arm64) and smaller in musl: an opaque
// buffer with room to spare, only ever touched by the C library's own functions.
const FILE_ACTIONS_SIZE = 256;

/**
 * `posix_spawn(3)`: starts `path` with `argv` and the environment `env` ("KEY=value" strings)
 * and returns its pid. glibc's implementation clones with CLONE_VM | CLONE_VFORK, so no page
 * table is copied, unlike `child_process.spawn`, which forks the whole Node process; but the
 * calling thread still waits until the child has exec'd, which on a loaded machine is the
 * child's wait for a CPU (posixSpawnAsync waits on a libuv pool thread instead). The caller
 * reaps the child (`waitpid`); libuv does not know it. The child inherits the signal mask,
 * ignored signals (Node ignores SIGPIPE; glibc leaves its own reserved real-time signals
 * ignored) and every descriptor without FD_CLOEXEC. A failed exec is reported here (glibc waits
 * for it), with its errno.
 */
export function posixSpawn(
  path: string,
  argv: readonly string[],
  env: readonly string[],
  actions: readonly SpawnFileAction[] = [],
): number {
  const fa = fileActions(path, actions);
  try {
    const pid = [0];
    check(path, spawnFn()(pid, path, fa, null, [...argv, null], [...env, null]), 'posix_spawn');
    return pid[0]!;
  } finally {
    destroyFn()(fa);
  }
}

/**
 * posixSpawn on a libuv pool thread (koffi's async call): the event loop goes on while the
 * child is started, which under load takes milliseconds. The descriptors named in `actions`
 * must stay open until the promise settles.
 */
export function posixSpawnAsync(
  path: string,
  argv: readonly string[],
  env: readonly string[],
  actions: readonly SpawnFileAction[] = [],
): Promise<number> {
  let fa: Buffer;
  try {
    fa = fileActions(path, actions);
  } catch (e) {
    return Promise.reject(e);
  }
  const pid = [0];
  return new Promise((resolve, reject) => {
    // koffi's functions have an `async` twin that runs on a libuv pool thread.
    (spawnFn() as NativeFunction & { async: NativeFunction }).async(
      pid,
      path,
      fa,
      null,
      [...argv, null],
      [...env, null],
      (err: unknown, r: number) => {
        destroyFn()(fa);
        try {
          if (err) throw err;
          check(path, r, 'posix_spawn');
          resolve(pid[0]!);
        } catch (e) {
          reject(e);
        }
      },
    );
  });
}

const spawnFn = () =>
  fn(
    'int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)',
  );
const destroyFn = () => fn('int posix_spawn_file_actions_destroy(void *fa)');

/** posix_spawn's functions return the error number itself, 0 on success. */
function check(path: string, r: number, call: string): void {
  if (r !== 0) throw errnoError(r, call, path);
}

function fileActions(path: string, actions: readonly SpawnFileAction[]): Buffer {
  const fa = Buffer.alloc(FILE_ACTIONS_SIZE);
  check(
    path,
    fn('int posix_spawn_file_actions_init(void *fa)')(fa),
    'posix_spawn_file_actions_init',
  );
  try {
    for (const a of actions) {
      if (a.op === 'dup2') {
        check(
          path,
          fn('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)')(
            fa,
            a.fd,
            a.target,
          ),
          'posix_spawn_file_actions_adddup2',
        );
      } else if (a.op === 'open') {
        check(
          path,
          fn(
            'int posix_spawn_file_actions_addopen(void *fa, int fd, const char *path, int oflag, uint32_t mode)',
          )(fa, a.target, a.path, a.flags, a.mode ?? 0),
          'posix_spawn_file_actions_addopen',
        );
      } else {
        check(
          path,
          fn('int posix_spawn_file_actions_addclose(void *fa, int fd)')(fa, a.fd),
          'posix_spawn_file_actions_addclose',
        );
      }
    }
  } catch (e) {
    destroyFn()(fa);
    throw e;
  }
  return fa;
}
