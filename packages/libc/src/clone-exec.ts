/**
 * cloneThenExec: a CLONE_VM | CLONE_VFORK child that runs a JavaScript function on the caller's
 * memory and, once that function has RETURNED, executes a program, with no machine code of our
 * own. glibc's ucontext functions chain the steps:
 *
 *   clone(fn = setcontext, arg = ctxRun)        the child switches to ctxRun at once
 *   ctxRun:  the JS function (on the main thread's stack region, where V8 expects it),
 *            uc_link = ctxAfter
 *   ctxAfter: execve(path, argv, envp) when the function returned a prepared exec, else
 *            _exit(status); uc_link = ctxFailed
 *   ctxFailed (execve returned, so it failed): a JS callback that reads errno, reports it and
 *            picks the status; uc_link = an _exit context it makes.
 *
 * Calling execve from inside the callback instead leaves the callback's V8 and N-API scopes open
 * in the shared memory: the parent then resumes into a broken state and aborts, so it had to be
 * killed before the exec (and a launcher could serve only one spawn). Here the callback genuinely
 * returns first: the parent's V8 state is unwound exactly as after any callback, and the parent
 * can clone again.
 */

import { mman, prctl as PR } from '@rootless-ts/constants';
import koffi, { type TypeObject } from 'koffi';
import {
  CLONE_THREW_STATUS,
  type CloneOptions,
  childStackTop,
  enterCloneChild,
  leaveCloneChild,
  runningInCloneChild,
} from './clone.js';
import { RootlessTsError } from './errors.js';
import { check, fn } from './library.js';
import { mmap, munmap } from './memory.js';
import { getpid, gettid } from './process.js';
import { chainStep, contextBytes, cSymbol, getcontext, makecontext, setStack } from './ucontext.js';

/** Exit status of a cloneThenExec child whose execve failed, when onExecFailure says nothing. */
export const EXEC_FAILED_STATUS = 127;

/** Room for the JS function's frames in the main thread's stack region (only its top matters). */
const JS_STACK_SIZE = 256 * 1024;
/** Room for the callback that runs after a failed execve, below the function's region. */
const FAIL_STACK_SIZE = 128 * 1024;
/** Stack of the C-only steps: setcontext right after clone, then execve or _exit. */
const C_STACK_SIZE = 32 * 1024;

/** An execve arranged in the child by `child.prepareExec`, to return from the function. */
export interface PreparedExec {
  readonly path: string;
}

/** What the child's function is handed. */
export interface CloneExecChild {
  /**
   * Copies path, argv and the environment ("K=V") into native memory and builds the execve
   * context now (so that nothing allocates between this and the exec: call it before installing
   * a seccomp filter). Return the result from the function to have the child execute it after
   * the function has returned; return a number instead to exit with that status.
   */
  prepareExec(path: string, argv: readonly string[], env: readonly string[]): PreparedExec;
}

export interface CloneThenExecOptions extends CloneOptions {
  /**
   * Runs in the child when the prepared execve returned (it failed), synchronously, with its
   * errno (report it over a pipe, say); returns the exit status (default 127). A throw gives 127.
   */
  onExecFailure?: (errno: number, exec: PreparedExec) => number | undefined;
  /**
   * The child's parent-death signal (prctl PR_SET_PDEATHSIG), set in C right after the clone,
   * before any JavaScript runs in the child. Set from the function instead, it would leave a
   * parent killed meanwhile with a child that never gets the signal, running on a memory whose
   * other threads died holding their locks (one waited on a futex forever). The window left
   * (between the clone and this call) is for the function to close: check that the parent is
   * still there (getppid(), or a pidfd in a new pid namespace).
   */
  deathSignal?: number;
}

let voidFnType: TypeObject | undefined;

/** glibc's setcontext, execve and _exit; a clear error where the C library has no ucontext (musl). */
function nativeSymbols() {
  const user = 'cloneThenExec';
  return {
    setcontext: cSymbol('setcontext', user),
    execve: cSymbol('execve', user),
    exit: cSymbol('_exit', user),
  };
}

/** Native memory the child fills (C strings, pointer arrays); freed by the parent after clone. */
class NativeBlocks {
  private readonly blocks: bigint[] = [];

  alloc(size: number): bigint {
    const ret = fn('void *malloc(size_t size)')(size) as unknown;
    if (ret === null) throw new RootlessTsError('malloc failed', { code: 'ENOMEM', errno: 12 });
    const p = BigInt(koffi.address(ret));
    this.blocks.push(p);
    return p;
  }

  /** One block: a NULL-terminated pointer array, then the NUL-terminated strings it points at. */
  strings(list: readonly string[]): { array: bigint; pointers: bigint[] } {
    const encoded = list.map((s) => Buffer.from(`${s}\0`, 'utf8'));
    const arrayBytes = (list.length + 1) * 8;
    const total = arrayBytes + encoded.reduce((n, b) => n + b.length, 0);
    const base = this.alloc(total);
    const mem = Buffer.from(koffi.view(base, total));
    const pointers: bigint[] = [];
    let off = arrayBytes;
    for (const [i, b] of encoded.entries()) {
      b.copy(mem, off);
      const p = base + BigInt(off);
      pointers.push(p);
      mem.writeBigUInt64LE(p, i * 8);
      off += b.length;
    }
    mem.writeBigUInt64LE(0n, list.length * 8);
    return { array: base, pointers };
  }

  freeAll(): void {
    const free = fn('void free(void *p)');
    for (const p of this.blocks.splice(0)) free(p);
  }
}

class Prepared implements PreparedExec {
  constructor(
    readonly path: string,
    readonly token: object,
  ) {}
}

/**
 * libc `clone()` whose child runs `fn` (synchronously, on this process's memory while the
 * calling thread waits, as with `clone`) and then either executes the program `fn` prepared
 * (`return child.prepareExec(path, argv, env)`) or exits with the number `fn` returned (0 for
 * anything else; 255, CLONE_THREW_STATUS, when it threw). Returns the child's pid once it has
 * exec'd or exited. Because `fn` returns before the exec, this process's JavaScript state stays
 * sound: it may call cloneThenExec again, as often as it likes.
 *
 * Only with `CLONE_VM | CLONE_VFORK` in `flags` (plus namespace flags, and SIGCHLD to waitpid).
 * glibc only (getcontext, makecontext, setcontext); main thread only.
 */
export function cloneThenExec(
  fn_: (child: CloneExecChild) => number | PreparedExec | undefined,
  flags: number,
  options: CloneThenExecOptions = {},
): number {
  // The main thread's tid is the pid (not worker_threads' isMainThread: it loads Node's streams).
  if (gettid() !== getpid())
    throw new Error('cloneThenExec: call it from the main thread (its stack hosts the child)');
  const sym = nativeSymbols();
  const top = options.stackTop ?? childStackTop();
  voidFnType ??= koffi.proto(null, 'void', []);
  // Contexts (16-byte aligned: arm64's ucontext_t asks for it) and the C-only stacks, one mapping.
  const ctxBytes = contextBytes();
  const total = 5 * ctxBytes + 2 * C_STACK_SIZE;
  const region = mmap(
    null,
    total,
    mman.PROT_READ | mman.PROT_WRITE,
    mman.MAP_PRIVATE | mman.MAP_ANONYMOUS | mman.MAP_STACK,
  );
  const ctxRun = region;
  const ctxAfter = region + BigInt(ctxBytes);
  const ctxFailed = region + BigInt(2 * ctxBytes);
  const ctxExit = region + BigInt(3 * ctxBytes);
  const ctxDeath = region + BigInt(4 * ctxBytes);
  const cloneStack = region + BigInt(5 * ctxBytes);
  const cStack = cloneStack + BigInt(C_STACK_SIZE);
  const cStackArea = { low: cStack, size: C_STACK_SIZE };
  const jsStackLow = (top - BigInt(JS_STACK_SIZE)) & ~15n;
  const failStackLow = jsStackLow - BigInt(FAIL_STACK_SIZE);
  const native = new NativeBlocks();
  const token = {};
  let prepared: Prepared | undefined;

  /** ctxAfter (and ctxExit for a failed exec) as _exit(status), on the C stack. */
  const exitContext = (ctx: bigint, status: number) => {
    chainStep(ctx, cStackArea, 0n, sym.exit, [BigInt(status & 0xff)]);
  };

  const child: CloneExecChild = {
    prepareExec(path, argv, env) {
      const p = native.strings([path]).pointers[0]!;
      const a = native.strings(argv).array;
      const e = native.strings(env).array;
      // getcontext here, in the child: setcontext restores the signal mask it saved, which is
      // the child's own (a reset one), not the parent's.
      chainStep(ctxAfter, cStackArea, ctxFailed, sym.execve, [p, a, e]);
      prepared = new Prepared(path, token);
      return prepared;
    },
  };

  const failed = koffi.register(() => {
    // execve returned: its errno is in this thread's errno (not koffi's saved copy).
    const where = fn('int *__errno_location()')() as unknown;
    const errno = koffi.decode(where, 'int') as number;
    let status = EXEC_FAILED_STATUS;
    try {
      const s = options.onExecFailure?.(errno, prepared!);
      if (typeof s === 'number' && Number.isFinite(s)) status = s | 0;
    } catch {
      // The status says it failed.
    }
    exitContext(ctxExit, status);
  }, koffi.pointer(voidFnType));

  const outer = runningInCloneChild();
  const run = koffi.register(() => {
    enterCloneChild(top);
    let status = 0;
    let exec = false;
    try {
      const out = fn_(child);
      if (out instanceof Prepared && out === prepared && out.token === token) exec = true;
      else if (typeof out === 'number' && Number.isFinite(out)) status = out | 0;
    } catch {
      status = CLONE_THREW_STATUS;
    }
    try {
      if (!exec) exitContext(ctxAfter, status);
      // What runs if execve returns: made now, not in the parent, because makecontext writes
      // its trampoline's data at the top of the stack it is given, and this function's own
      // data lies at the top of its stack; so it gets the region below this function's
      // (whose live frames are near the top again by now). No system call: makecontext only.
      else makecontext(ctxFailed, failed, []);
    } finally {
      leaveCloneChild(outer);
    }
    // Returning hands over to ctxAfter (uc_link): execve or _exit, no JavaScript left open.
  }, koffi.pointer(voidFnType));

  try {
    chainStep(ctxRun, { low: jsStackLow, size: Number(top - jsStackLow) }, ctxAfter, run, []);
    // After a failed execve: a JS callback on the stack region below the function's (the
    // child makes it, see above).
    getcontext(ctxFailed);
    setStack(ctxFailed, failStackLow, FAIL_STACK_SIZE, ctxExit);
    // The death signal first, on the C stack (ctxAfter, made there later by the child, comes
    // after it has returned), then ctxRun.
    let first = ctxRun;
    if (options.deathSignal !== undefined) {
      chainStep(ctxDeath, cStackArea, ctxRun, cSymbol('prctl', 'cloneThenExec'), [
        BigInt(PR.PR_SET_PDEATHSIG),
        BigInt(options.deathSignal),
      ]);
      first = ctxDeath;
    }
    // int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...): setcontext(first)
    // as the child's function; it never returns.
    return check(
      fn('int clone(void *fn, uintptr_t stack, int flags, void *arg, ...)')(
        sym.setcontext,
        cloneStack + BigInt(C_STACK_SIZE),
        flags,
        first,
      ) as number,
      'clone',
    );
  } finally {
    // The child has exec'd (its memory is a new one) or exited: nothing uses these any more.
    leaveCloneChild(outer);
    koffi.unregister(run);
    koffi.unregister(failed);
    native.freeAll();
    munmap(region, total);
  }
}
