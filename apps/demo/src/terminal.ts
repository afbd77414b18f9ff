import { fcntl as F, ioctl as IO, struct, termios } from '@rootless-ts/constants';
import { fcntl, ioctl } from '@rootless-ts/libc';

/** The host terminal's size, if stdout (else stdin) is a terminal. */
export function hostWinsize(): { rows: number; cols: number } | undefined {
  const out = process.stdout;
  if (out.isTTY && out.rows && out.columns) return { rows: out.rows, cols: out.columns };
  return undefined;
}

export function setWinsize(fd: number, size: { rows: number; cols: number }): void {
  const ws = new Uint8Array(8);
  const v = new DataView(ws.buffer);
  v.setUint16(0, size.rows, true);
  v.setUint16(2, size.cols, true);
  ioctl(fd, IO.TIOCSWINSZ, ws);
}

/** The terminal's end-of-file character (VEOF: ^D unless `stty eof` changed it), from its termios. */
export function eofChar(fd: number): number {
  const t = new Uint8Array(struct.termios.size);
  ioctl(fd, IO.TCGETS, t);
  return t[struct.termios.fields.c_cc.offset + termios.VEOF]!;
}

const NEWLINE = 0x0a;

/**
 * What to write to a terminal when our standard input ends, `last` being the last byte written
 * (undefined: none). A terminal has no end of input of its own: its line discipline turns the
 * EOF character at the start of a line into a read of 0 bytes. After a partial line the first
 * one only hands the pending bytes over, so a second follows (as bst does; conmon and podman
 * send the character too).
 */
export function endOfInput(last: number | undefined, eof: number): Uint8Array {
  const atLineStart = last === undefined || last === NEWLINE || last === eof;
  return Uint8Array.from(atLineStart ? [eof] : [eof, eof]);
}

export interface Relay {
  /** Settles once the container's output has been copied to the end (EIO on the master). */
  readonly drained: Promise<void>;
  /** Puts the host terminal back as it was. */
  restore(): void;
}

/**
 * Relays the host terminal (in raw mode: keys such as Ctrl-C go to the container's terminal,
 * whose line discipline turns them into signals) to the pty master, and the master's output to
 * stdout; forwards window size changes (SIGWINCH) as TIOCSWINSZ on the master. When standard
 * input is not a terminal (a pipe, a file, /dev/null) and ends, the container's terminal gets
 * its end-of-file character after the data, so `echo hi | rootless run -t … cat` ends.
 */
export function relayTerminal(master: number): Relay {
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  // Separate descriptors for reading and writing: each stream owns and closes its own.
  const writeFd = fcntl(master, F.F_DUPFD_CLOEXEC, 0);
  // node:tty on first use (-t only): it loads node:net and node:stream, ~6 ms of every run's start.
  const { ReadStream, WriteStream } = process.getBuiltinModule('node:tty');
  const fromContainer = new ReadStream(master);
  const toContainer = new WriteStream(writeFd);
  toContainer.on('error', () => {});
  let last: number | undefined;
  const onData = (d: Buffer) => {
    if (d.length > 0) last = d[d.length - 1];
    toContainer.write(d);
  };
  const onEnd = () => {
    try {
      toContainer.write(endOfInput(last, eofChar(writeFd)));
    } catch {
      // The container is gone.
    }
  };
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.resume();
  const onResize = () => {
    const size = hostWinsize();
    if (size) {
      try {
        setWinsize(writeFd, size);
      } catch {
        // The container is gone.
      }
    }
  };
  process.on('SIGWINCH', onResize);
  const drained = new Promise<void>((resolve) => {
    fromContainer.on('data', (d: Buffer) => process.stdout.write(d));
    // Once every slave descriptor is closed, reading the master fails with EIO: the end.
    fromContainer.on('error', () => resolve());
    fromContainer.on('end', () => resolve());
    fromContainer.on('close', () => resolve());
  });
  let restored = false;
  return {
    drained,
    restore() {
      if (restored) return;
      restored = true;
      process.off('SIGWINCH', onResize);
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
      if (raw) stdin.setRawMode(false);
      fromContainer.destroy();
      toContainer.destroy();
    },
  };
}
