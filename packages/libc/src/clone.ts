import { readFileSync } from 'node:fs';
import koffi, { type TypeObject } from 'koffi';
import { check, fn, libc } from './library.js';
import { getpid, gettid } from './process.js';

/** Room left between the main thread's stack start and the child's stack top. */
export const DEFAULT_STACK_MARGIN = 256 * 1024;
/** Room kept below the caller's live frames when they reach below the default top. */
const FRAME_GAP = 64 * 1024;

/** The stack pointer of the calling thread, from /proc/thread-self/syscall (null if unreadable). */
function currentStackPointer(): bigint | null {
  try {
    // "nr arg1 … arg6 sp pc" while this thread is inside the read() that fetches it.
    const fields = readFileSync('/proc/thread-self/syscall', 'utf8').trim().split(' ');
    return fields.length >= 9 ? BigInt(fields[fields.length - 2]!) : null;
  } catch {
    return null;
  }
}

/**
 * Where a clone() child's stack should start (its top; stacks grow down): inside the main
 * thread's stack, `margin` below `startstack` (field 28 of /proc/self/stat, which lies below
 * argv and the environment), or lower if the caller's frames already reach past that point,
 * 16-byte aligned. V8 checks the stack pointer against the main thread's limit (about 984 KiB
 * below the stack's start), so the child must run between the live frames and that limit; an
 * mmap'd stack fails at once with "Maximum call stack size exceeded".
 */
export function childStackTop(margin = DEFAULT_STACK_MARGIN): bigint {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // comm (field 2) may hold spaces and parentheses: split after its closing parenthesis.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startstack = BigInt(rest[28 - 3]!);
  let top = startstack - BigInt(margin);
  const sp = currentStackPointer();
  if (sp === null && runningChildStackTop !== undefined) {
    // In a clone child, whose own frames lie at the default top: guessing would lay the new
    // child's stack over them (and V8 then loops walking the mangled frames).
    throw new Error(
      'clone: cannot read the stack pointer from /proc/thread-self/syscall in a clone child ' +
        '(a non-dumpable process cannot open it); compute childStackTop() before, and pass it as stackTop',
    );
  }
  if (sp !== null && sp - BigInt(FRAME_GAP) < top) top = sp - BigInt(FRAME_GAP);
  return top & ~15n;
}

/** The stack top of the clone child running JavaScript in this memory, if any. */
let runningChildStackTop: bigint | undefined;

/**
 * In a clone child (the memory is shared): marks that JavaScript now runs in a child on the
 * stack below `top`, so that a clone() called from there knows; returns what to restore.
 */
export function enterCloneChild(top: bigint): bigint | undefined {
  const outer = runningChildStackTop;
  runningChildStackTop = top;
  return outer;
}

/** Undoes enterCloneChild (in the child before it returns, in the parent once clone returned). */
export function leaveCloneChild(outer: bigint | undefined): void {
  runningChildStackTop = outer;
}

/** Whether JavaScript runs in a clone child right now (and on which stack top). */
export function runningInCloneChild(): bigint | undefined {
  return runningChildStackTop;
}

export interface CloneOptions {
  /** The child's stack top; default `childStackTop()`. */
  stackTop?: bigint;
}

let cloneFnType: TypeObject | undefined;

/** Exit status of a clone child whose function threw. */
export const CLONE_THREW_STATUS = 255;

/**
 * libc `clone(fn, stack, flags, NULL)` running the JavaScript function `fn` in the child.
 *
 * Only meaningful with `CLONE_VM | CLONE_VFORK` (plus namespace flags and usually SIGCHLD):
 * without CLONE_VM the child has no V8 heap (Node marks it MADV_DONTFORK) and crashes as soon as
 * it runs JS; without CLONE_VFORK the parent's JS would run concurrently on the same heap. With
 * both, the child runs `fn` on the caller's memory while the calling thread waits, and the call
 * returns the child's pid once it has exited (or exec'd). In the child: synchronous code only
 * (no await, timers or async I/O: the event loop is frozen), and do not call `execve` unless
 * this process's JavaScript state may be thrown away: the parent resumes with the callback's V8
 * and N-API state still open and aborts.
 *
 * `fn`'s return value is the child's exit status. A throw must not unwind through C, so it is
 * caught here and the child exits with status 255 (CLONE_THREW_STATUS): catch and report your
 * own errors (over a pipe, say) inside `fn`. Call from the main thread only.
 */
export function clone(fn_: () => number, flags: number, options: CloneOptions = {}): number {
  // The main thread is the one whose tid is the pid. (Not worker_threads' isMainThread: loading
  // that module loads Node's streams, about 10 ms of a launcher's start.)
  if (gettid() !== getpid())
    throw new Error('clone: call it from the main thread (its stack hosts the child)');
  const stackTop = options.stackTop ?? childStackTop();
  libc();
  cloneFnType ??= koffi.proto(null, 'int', ['void *']);
  const outer = runningChildStackTop;
  const wrapper = (_arg: unknown): number => {
    // The memory is shared: this tells a clone() called from fn that it runs in a child.
    runningChildStackTop = stackTop;
    try {
      const status = fn_();
      return typeof status === 'number' && Number.isFinite(status) ? status | 0 : 0;
    } catch {
      return CLONE_THREW_STATUS;
    } finally {
      runningChildStackTop = outer;
    }
  };
  const callback = koffi.register(wrapper, koffi.pointer(cloneFnType));
  try {
    // int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...): the stack travels as
    // an integer address; the variadic ptid/tls/ctid are not used (no CLONE_*TID, CLONE_SETTLS).
    return check(
      fn('int clone(void *fn, uintptr_t stack, int flags, void *arg, ...)')(
        callback,
        stackTop,
        flags,
        null,
      ),
      'clone',
    );
  } finally {
    // Also when the child exec'd or was killed without returning through the wrapper.
    runningChildStackTop = outer;
    koffi.unregister(callback);
  }
}
