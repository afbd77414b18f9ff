/**
 * clonePaused: a child that holds new namespaces open, runs no JavaScript, and cannot outlive
 * its creator. glibc's ucontext functions chain its three C calls (as in cloneThenExec):
 *
 *   clone(fn = setcontext, arg = ctxClose)   no CLONE_VM: a copy of the memory without V8's heap
 *   ctxClose: close(guard's write end)        the child's own copy of it
 *   ctxWait:  read(guard's read end, buf, 1)  blocks until every write end is closed
 *   ctxExit:  _exit(0)
 *
 * After the child's close, the creator holds the only write end. The read returns when the
 * creator closes it or dies, however it dies (a SIGKILL during a container's setup included),
 * so the child never stays behind as an orphan. pause() with a parent-death signal would leave a
 * window between the clone and the prctl in which a killed creator leaves it running.
 */
import { fcntl as F, mman } from '@rootless-ts/constants';
import { close, pipe2 } from './fds.js';
import { check, fn } from './library.js';
import { mmap, munmap } from './memory.js';
import { chainStep, contextBytes, cSymbol } from './ucontext.js';

/** Stack of each C step (close, read, _exit, and setcontext right after clone). */
const STEP_STACK_SIZE = 16 * 1024;

export interface PausedChild {
  /** Its pid. */
  readonly pid: number;
  /**
   * The write end of its guard pipe (close-on-exec), held by this process only: the child exits
   * by itself (status 0) once it is closed, by `close(guard)` or by this process's death.
   */
  readonly guard: number;
}

/**
 * libc `clone(setcontext, stack, flags, ctx)`: a child that runs three C calls and no
 * JavaScript, so it needs no CLONE_VM (its copy of this memory lacks the V8 heap, which Node
 * marks MADV_DONTFORK, and it never touches it). It holds the namespaces that `flags` create
 * open until it is killed or `guard` is closed: the caller writes their id maps and joins them,
 * then kills it (or closes `guard`), reaps it (add SIGCHLD to `flags` for waitpid), and closes
 * `guard`. glibc only.
 */
export function clonePaused(flags: number): PausedChild {
  const user = 'clonePaused';
  const sym = {
    setcontext: cSymbol('setcontext', user),
    close: cSymbol('close', user),
    read: cSymbol('read', user),
    exit: cSymbol('_exit', user),
  };
  const ctxBytes = contextBytes();
  // Three contexts, one byte for the read, then four stacks: a context's stack must not be one
  // a step before it ran on, since makecontext wrote the context's start data at its top.
  const stacksAt = 3 * ctxBytes + 16;
  const total = stacksAt + 4 * STEP_STACK_SIZE;
  const region = mmap(
    null,
    total,
    mman.PROT_READ | mman.PROT_WRITE,
    mman.MAP_PRIVATE | mman.MAP_ANONYMOUS | mman.MAP_STACK,
  );
  const ctx = (i: number) => region + BigInt(i * ctxBytes);
  const buf = region + BigInt(3 * ctxBytes);
  const stack = (i: number) => ({
    low: region + BigInt(stacksAt + i * STEP_STACK_SIZE),
    size: STEP_STACK_SIZE,
  });
  let ends: [number, number] | undefined;
  try {
    ends = pipe2(F.O_CLOEXEC);
    const [readEnd, writeEnd] = ends;
    chainStep(ctx(0), stack(0), ctx(1), sym.close, [BigInt(writeEnd)]);
    chainStep(ctx(1), stack(1), ctx(2), sym.read, [BigInt(readEnd), buf, 1n]);
    chainStep(ctx(2), stack(2), 0n, sym.exit, [0n]);
    const cloneTop = stack(3).low + BigInt(STEP_STACK_SIZE);
    // int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
    const pid = check(
      fn('int clone(void *fn, uintptr_t stack, int flags, void *arg, ...)')(
        sym.setcontext,
        cloneTop,
        flags,
        ctx(0),
      ) as number,
      'clone',
    );
    close(readEnd);
    ends = undefined;
    return { pid, guard: writeEnd };
  } finally {
    if (ends) for (const fd of ends) close(fd);
    // Without CLONE_VM the child has its own copy of the mapping.
    munmap(region, total);
  }
}
