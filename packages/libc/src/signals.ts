import { signal as S } from '@rootless-ts/constants';
import { check, fn } from './library.js';

// sigset_t is 1024 bits in glibc and musl alike (the kernel only looks at the first 64).
const SIGSET_BYTES = 128;

function toSet(signals: readonly number[]): Buffer {
  const buf = Buffer.alloc(SIGSET_BYTES);
  for (const s of signals) {
    if (!Number.isInteger(s) || s < 1 || s > 64) throw new RangeError(`bad signal number ${s}`);
    buf[(s - 1) >> 3]! |= 1 << ((s - 1) & 7);
  }
  return buf;
}

function fromSet(buf: Buffer): number[] {
  const out: number[] = [];
  for (let s = 1; s <= 64; s++) if (buf[(s - 1) >> 3]! & (1 << ((s - 1) & 7))) out.push(s);
  return out;
}

/**
 * `sigprocmask(2)` for the calling thread: `how` is SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK and
 * `signals` the set (null only reads). Returns the previous mask as signal numbers. In Node only
 * the main thread's mask changes (libuv's threads keep theirs); a clone child inherits it.
 */
export function sigprocmask(how: number, signals: readonly number[] | null): number[] {
  const old = Buffer.alloc(SIGSET_BYTES);
  check(
    fn('int sigprocmask(int how, const void *set, void *oldset)')(
      how,
      signals === null ? null : toSet(signals),
      old,
    ),
    'sigprocmask',
  );
  return fromSet(old);
}

/**
 * Sets a signal's disposition to the default action or to ignored (`signal(2)` with SIG_DFL or
 * SIG_IGN). JavaScript handlers are Node's business (`process.on`); this is for a process about
 * to exec: an ignored disposition survives execve, and Node ignores SIGPIPE and SIGXFSZ.
 * Returns whether the previous disposition was SIG_IGN.
 */
export function setSignalDisposition(signal: number, disposition: 'default' | 'ignore'): boolean {
  // SIG_DFL is 0 and SIG_IGN is 1 on every Linux architecture.
  const handler = disposition === 'default' ? 0 : 1;
  const previous = fn('intptr_t signal(int sig, intptr_t handler)')(signal, handler) as
    | number
    | bigint;
  // SIG_ERR is -1.
  if (Number(previous) === -1) check(-1, 'signal');
  return Number(previous) === 1;
}

/** The signal group of the C headers also holds SIG_BLOCK, NSIG and the like: not signals. */
const isSignalName = (name: string) => /^SIG[A-Z0-9]+$/.test(name);

/**
 * Each standard signal's name, from the C headers (not node:os, whose load costs a CLI 0.25 MiB):
 * the first name the headers give a number, as Node names the signal that ended a child
 * (SIGABRT, not its alias SIGIOT; SIGCHLD, not SIGCLD; SIGIO, not SIGPOLL).
 */
const names = new Map<number, NodeJS.Signals>();
for (const name in S) {
  const n = S[name as keyof typeof S];
  if (isSignalName(name) && n >= 1 && n < S.SIGRTMIN && !names.has(n))
    names.set(n, name as NodeJS.Signals);
}

/** The name of signal `n` (`SIGABRT` for 6); `SIG<n>` for one without a name (a real-time one). */
export function signalName(n: number): NodeJS.Signals {
  return names.get(n) ?? (`SIG${n}` as NodeJS.Signals);
}

/** The number of the signal `name` (an alias too, and signalName's `SIG<n>`); undefined if none. */
export function signalNumber(name: string): number | undefined {
  const numbered = /^SIG(\d+)$/.exec(name);
  if (numbered) {
    const n = Number(numbered[1]);
    return n >= 1 && n < S.NSIG ? n : undefined;
  }
  if (!isSignalName(name) || !Object.hasOwn(S, name)) return undefined;
  return S[name as keyof typeof S];
}
