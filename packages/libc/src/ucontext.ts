/**
 * glibc's ucontext functions, as the clone helpers use them to chain C calls in a child without
 * machine code of our own: each context runs one function on its own stack, then switches to its
 * uc_link. (musl has no ucontext.)
 */
import { struct as ST } from '@rootless-ts/constants';
import { RootlessTsError } from './errors.js';
import { check, fn, libc } from './library.js';
import { memoryView } from './memory.js';

interface Layout {
  size: number;
  link: number;
  sp: number;
  flags: number;
  ssize: number;
}

let layout: Layout | undefined;

/** Where a ucontext_t keeps its size, successor and stack (generated from the C headers). */
export function contextLayout(): Layout {
  if (layout) return layout;
  const uc = ST.ucontext_t;
  const stack = ST.stack_t;
  const base = uc.fields.uc_stack.offset;
  layout = {
    size: uc.size,
    link: uc.fields.uc_link.offset,
    sp: base + stack.fields.ss_sp.offset,
    flags: base + stack.fields.ss_flags.offset,
    ssize: base + stack.fields.ss_size.offset,
  };
  return layout;
}

/** A ucontext_t's size rounded up to 16 bytes (arm64's asks for that alignment). */
export function contextBytes(): number {
  return (contextLayout().size + 15) & ~15;
}

const found = new Map<string, unknown>();

/**
 * The C library's function `name` as a pointer for makecontext or clone; `user` names the caller
 * in the error where the C library has no ucontext (musl).
 */
export function cSymbol(name: string, user: string): unknown {
  if (found.has(name)) return found.get(name);
  libc();
  const dlsym = fn('void *dlsym(void *handle, const char *symbol)');
  for (const needed of ['setcontext', 'makecontext']) {
    if (dlsym(null, needed) === null) {
      throw new RootlessTsError(
        `${user} needs getcontext/makecontext/setcontext, which this C library lacks (musl has no ucontext): use glibc`,
        { code: 'ERR_NO_UCONTEXT' },
      );
    }
  }
  const p = dlsym(null, name) as unknown;
  if (p === null) throw new RootlessTsError(`the C library has no ${name}()`, { code: 'ENOSYS' });
  found.set(name, p);
  return p;
}

export const getcontext = (ucp: bigint) =>
  check(fn('int getcontext(void *ucp)')(ucp) as number, 'getcontext');

/** Sets a context's stack [sp, sp + size) and its successor (0n: none, the thread exits). */
export function setStack(ctx: bigint, sp: bigint, size: number, link: bigint): void {
  const l = contextLayout();
  const view = new DataView(memoryView(ctx, l.size).buffer);
  view.setBigUint64(l.link, link, true);
  view.setBigUint64(l.sp, sp, true);
  view.setInt32(l.flags, 0, true);
  view.setBigUint64(l.ssize, BigInt(size), true);
}

/** makecontext(ctx, fn, n, args…): each argument passed as a 64-bit integer (pointers too). */
export function makecontext(ctx: bigint, target: unknown, args: readonly bigint[]): void {
  const typed = args.flatMap((a) => ['uintptr_t', a]);
  fn('void makecontext(void *ucp, void *fn, int argc, ...)')(ctx, target, args.length, ...typed);
}

/** getcontext, then its stack and successor, then makecontext: one step of a chain. */
export function chainStep(
  ctx: bigint,
  stack: { low: bigint; size: number },
  link: bigint,
  target: unknown,
  args: readonly bigint[],
): void {
  getcontext(ctx);
  setStack(ctx, stack.low, stack.size, link);
  makecontext(ctx, target, args);
}
