import { signal as SIG } from '@rootless-ts/constants';
import { errnoError } from './errors.js';
import { fn, type NativeFunction } from './library.js';
import { layout } from './structs.js';

/** What the child's descriptor table gets before the exec, in order (posix_spawn's file actions). */
export type SpawnFileAction =
  | { op: 'dup2'; fd: number; target: number }
  | { op: 'open'; target: number; path: string; flags: number; mode?: number }
  | { op: 'close'; fd: number }
  /** The child's working directory (glibc 2.29 or later: posix_spawn_file_actions_addchdir_np). */
  | { op: 'chdir'; path: string };

/**
 * `posix_spawn(3)`: starts `path` with `argv` and the environment `env` ("KEY=value" strings)
 * and returns its pid. glibc's implementation clones with CLONE_VM | CLONE_VFORK, so no page
 * table is copied, unlike `child_process.spawn`, which forks the whole Node process; but the
 * calling thread still waits until the child has exec'd, which on a loaded machine is the
 * child's wait for a CPU (posixSpawnAsync waits on a libuv pool thread instead). The caller
 * reaps the child (`waitpid`); libuv does not know it. The child inherits every descriptor
 * without FD_CLOEXEC, but not the caller's signals: it starts with every
 * signal at its default and none blocked, as child_process gives them (a libuv pool thread,
 * where posixSpawnAsync runs, blocks them all; pasta then refuses to start), but for glibc's own
 * real-time signals (32 and 33), which glibc leaves ignored. A failed exec is
 * reported here (glibc waits for it), with its errno.
 */
export function posixSpawn(
  path: string,
  argv: readonly string[],
  env: readonly string[],
  actions: readonly SpawnFileAction[] = [],
): number {
  const fa = fileActions(path, actions);
  let attr: Buffer;
  try {
    attr = defaultSignalsAttr(path);
  } catch (e) {
    destroyFn()(fa);
    throw e;
  }
  try {
    const pid = [0];
    check(path, spawnFn()(pid, path, fa, attr, [...argv, null], [...env, null]), 'posix_spawn');
    return pid[0]!;
  } finally {
    destroyFn()(fa);
    destroyAttrFn()(attr);
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
  let attr: Buffer;
  try {
    fa = fileActions(path, actions);
  } catch (e) {
    return Promise.reject(e);
  }
  try {
    attr = defaultSignalsAttr(path);
  } catch (e) {
    destroyFn()(fa);
    return Promise.reject(e);
  }
  const pid = [0];
  return new Promise((resolve, reject) => {
    // koffi's functions have an `async` twin that runs on a libuv pool thread.
    (spawnFn() as NativeFunction & { async: NativeFunction }).async(
      pid,
      path,
      fa,
      attr,
      [...argv, null],
      [...env, null],
      (err: unknown, r: number) => {
        destroyFn()(fa);
        destroyAttrFn()(attr);
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
const destroyAttrFn = () => fn('int posix_spawnattr_destroy(void *attr)');

/** Attributes that start the child with every signal at its default and none blocked. */
function defaultSignalsAttr(path: string): Buffer {
  const attr = Buffer.alloc(layout('posix_spawnattr_t').size);
  check(path, fn('int posix_spawnattr_init(void *attr)')(attr), 'posix_spawnattr_init');
  try {
    const none = Buffer.alloc(layout('sigset_t').size);
    const all = Buffer.alloc(none.length);
    fn('int sigemptyset(void *set)')(none);
    fn('int sigfillset(void *set)')(all);
    check(
      path,
      fn('int posix_spawnattr_setsigmask(void *attr, const void *set)')(attr, none),
      'posix_spawnattr_setsigmask',
    );
    check(
      path,
      fn('int posix_spawnattr_setsigdefault(void *attr, const void *set)')(attr, all),
      'posix_spawnattr_setsigdefault',
    );
    check(
      path,
      fn('int posix_spawnattr_setflags(void *attr, short flags)')(
        attr,
        SIG.POSIX_SPAWN_SETSIGMASK | SIG.POSIX_SPAWN_SETSIGDEF,
      ),
      'posix_spawnattr_setflags',
    );
  } catch (e) {
    destroyAttrFn()(attr);
    throw e;
  }
  return attr;
}

/** posix_spawn's functions return the error number itself, 0 on success. */
function check(path: string, r: number, call: string): void {
  if (r !== 0) throw errnoError(r, call, path);
}

function fileActions(path: string, actions: readonly SpawnFileAction[]): Buffer {
  const fa = Buffer.alloc(layout('posix_spawn_file_actions_t').size);
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
      } else if (a.op === 'chdir') {
        check(
          path,
          fn('int posix_spawn_file_actions_addchdir_np(void *fa, const char *path)')(fa, a.path),
          'posix_spawn_file_actions_addchdir_np',
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
