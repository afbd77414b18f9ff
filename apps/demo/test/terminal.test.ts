import { execFileSync } from 'node:child_process';
import { fcntl as F, ioctl as IO } from '@rootless-ts/constants';
import { close, ioctl, open } from '@rootless-ts/libc';
import { describe, expect, it } from 'vitest';
import { endOfInput, eofChar } from '../src/terminal.js';

const CTRL_B = 0x02;
const CTRL_D = 0x04;

describe('endOfInput: what ends a terminal input once ours has ended', () => {
  it('sends the EOF character once when nothing or a whole line was written', () => {
    expect([...endOfInput(undefined, CTRL_D)]).toEqual([CTRL_D]);
    expect([...endOfInput(0x0a, CTRL_D)]).toEqual([CTRL_D]);
    expect([...endOfInput(CTRL_D, CTRL_D)]).toEqual([CTRL_D]);
  });

  it('sends it twice after a partial line: the first only hands the pending bytes over', () => {
    expect([...endOfInput('c'.charCodeAt(0), CTRL_D)]).toEqual([CTRL_D, CTRL_D]);
    expect([...endOfInput(CTRL_D, CTRL_B)]).toEqual([CTRL_B, CTRL_B]);
  });
});

describe("eofChar: the terminal's own EOF character", () => {
  it('reads VEOF from the termios of a pty through its master, as stty sets it', () => {
    const master = open('/dev/ptmx', F.O_RDWR | F.O_NOCTTY | F.O_CLOEXEC);
    try {
      const n = Buffer.alloc(4);
      ioctl(master, IO.TIOCGPTN, n);
      ioctl(master, IO.TIOCSPTLCK, Buffer.alloc(4)); // unlock
      const slave = `/dev/pts/${n.readUInt32LE(0)}`;
      expect(eofChar(master)).toBe(CTRL_D);
      execFileSync('stty', ['-F', slave, 'eof', '^B']);
      expect(eofChar(master)).toBe(CTRL_B);
    } finally {
      close(master);
    }
  });
});
