import { readFileSync } from 'node:fs';
import { ioctl as IO } from '@rootless-ts/constants';
import { getpgrp, ioctl, isatty } from '@rootless-ts/libc';
import { defaultActionSuppressed, FORWARDED_SIGNALS, signalNumber } from './status.js';

/** The foreground process group of the terminal on fd, or undefined. */
function foregroundGroup(fd: number): number | undefined {
  try {
    if (!isatty(fd)) return undefined;
    const buf = new Uint8Array(4);
    ioctl(fd, IO.TIOCGPGRP, buf);
    return new DataView(buf.buffer).getInt32(0, true);
  } catch {
    return undefined;
  }
}

export interface Forwarder {
  /** The container's process exists: forward pending and later signals to it. */
  attach(pid: number): void;
  /** If the container was ended by rootless on behalf of a signal, that signal's number. */
  readonly emulated: number | undefined;
  stop(): void;
}

/**
 * Forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the container's process, and keeps `rootless`
 * alive through them. Two cases need care:
 * - The container runs in a session of its own (so that it cannot type into this terminal with
 *   TIOCSTI): without -t, the terminal's Ctrl-C and Ctrl-\ reach only the terminal's foreground
 *   group, `rootless`'s. When `rootless` is in that group, those two go on to the container's
 *   whole process group (its PID 1 leads it), as the terminal would have sent them to its
 *   foreground group: a shell inside and the command it runs both get them.
 * - The container's process is PID 1 of its namespace: the kernel drops signals it has no
 *   handler for. Where the default action would have ended it, `rootless` kills it and reports
 *   128+N, as if the signal had done it (podman --init / tini do the same job as a process).
 */
export function forwardSignals(options: { tty: boolean }): Forwarder {
  let pid: number | undefined;
  const pending: string[] = [];
  let emulated: number | undefined;

  const deliver = (name: string) => {
    if (pid === undefined) return;
    const n = signalNumber(name);
    const fromTerminal =
      !options.tty && (name === 'SIGINT' || name === 'SIGQUIT') && foregroundGroup(0) === getpgrp();
    try {
      process.kill(fromTerminal ? -pid : pid, name);
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (defaultActionSuppressed(status, n)) {
        emulated ??= n;
        process.kill(pid, 'SIGKILL');
      }
    } catch {
      // Already gone.
    }
  };
  const handler = (name: string) => {
    if (pid === undefined) pending.push(name);
    else deliver(name);
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, handler);
  return {
    attach(p) {
      pid = p;
      for (const s of pending.splice(0)) deliver(s);
    },
    get emulated() {
      return emulated;
    },
    stop() {
      for (const s of FORWARDED_SIGNALS) process.off(s, handler);
    },
  };
}
