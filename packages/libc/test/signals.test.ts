import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { signalName, signalNumber } from '../src/index.js';

describe('signal names and numbers from the C headers', () => {
  it("names every signal node:os knows as Node names its children's (the first name per number)", () => {
    for (const [name, n] of Object.entries(os.constants.signals)) {
      expect(signalNumber(name), name).toBe(n);
      // Aliases (SIGIOT, SIGPOLL) name their number by the first name.
      expect(signalNumber(signalName(n)), name).toBe(n);
    }
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(29)).toBe('SIGIO');
  });

  it('numbers a real-time signal SIG<n>, both ways', () => {
    expect(signalName(36)).toBe('SIG36');
    expect(signalNumber('SIG36')).toBe(36);
    expect(signalNumber('SIG0')).toBeUndefined();
    expect(signalNumber('SIG65')).toBeUndefined();
  });

  it("takes nothing else of the headers' signal group for a signal", () => {
    for (const name of ['SIG_BLOCK', 'SIG_SETMASK', 'NSIG', 'POSIX_SPAWN_SETSIGMASK', 'toString'])
      expect(signalNumber(name), name).toBeUndefined();
  });
});
