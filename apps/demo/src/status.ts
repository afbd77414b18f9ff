import { signalNumber as libcSignalNumber } from '@rootless-ts/libc';

/** The signals `rootless` forwards to the container's process. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
export type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];

export function signalNumber(name: string): number {
  const n = libcSignalNumber(name);
  if (n === undefined) throw new Error(`unknown signal ${name}`);
  return n;
}

/** The command's own status; 128+N when signal N ended it, as shells report it. */
export function exitStatus(status: { code: number | null; signal: string | null }): number {
  if (status.signal !== null) return 128 + signalNumber(status.signal);
  return status.code ?? 1;
}

/**
 * Whether signal `n` would end a process that neither catches nor ignores it, judging from
 * /proc/PID/status (SigCgt, SigIgn). The container's first process is the init of its pid
 * namespace: the kernel never delivers it a signal it has no handler for, so `rootless` does
 * what the default action would have done (SIGKILL, then reports 128+n).
 */
export function defaultActionSuppressed(procStatus: string, n: number): boolean {
  const mask = (key: string) => {
    const m = procStatus.match(new RegExp(`^${key}:\\s*([0-9a-f]+)`, 'm'));
    return m ? BigInt(`0x${m[1]}`) : 0n;
  };
  const bit = 1n << BigInt(n - 1);
  return (mask('SigCgt') & bit) === 0n && (mask('SigIgn') & bit) === 0n;
}
