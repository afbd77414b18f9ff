import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { buildEnv, STANDARD_PATH } from '../src/env.js';
import { defaultActionSuppressed, exitStatus } from '../src/status.js';

describe('buildEnv', () => {
  it('rebuilds the environment: PATH, HOSTNAME, TERM, HOME, then -e', () => {
    const env = buildEnv({
      term: 'screen',
      home: '/home/alpine',
      hostname: 'box',
      extra: [['A', '1']],
    });
    expect(Object.entries(env)).toEqual([
      ['PATH', STANDARD_PATH],
      ['HOSTNAME', 'box'],
      ['TERM', 'screen'],
      ['HOME', '/home/alpine'],
      ['A', '1'],
    ]);
  });

  it('leaves TERM out when the host has none; -e overrides anything', () => {
    const env = buildEnv({
      home: '/',
      hostname: 'h',
      extra: [
        ['PATH', '/bin'],
        ['HOME', '/x'],
        ['PATH', '/sbin'],
      ],
    });
    expect(env).toEqual({ PATH: '/sbin', HOSTNAME: 'h', HOME: '/x' });
  });
});

describe('exit statuses', () => {
  it('the command status, 128+N for a signal', () => {
    expect(exitStatus({ code: 7, signal: null })).toBe(7);
    expect(exitStatus({ code: null, signal: 'SIGKILL' })).toBe(137);
    expect(exitStatus({ code: null, signal: 'SIGINT' })).toBe(130);
    // The C headers' numbers, as node:os has them; an alias too; nothing that is no signal.
    expect(exitStatus({ code: null, signal: 'SIGSYS' })).toBe(128 + os.constants.signals.SIGSYS);
    expect(exitStatus({ code: null, signal: 'SIGIOT' })).toBe(134);
    // A real-time signal, as libc's watchExit names it.
    expect(exitStatus({ code: null, signal: 'SIG36' })).toBe(164);
    expect(() => exitStatus({ code: null, signal: 'SIG_BLOCK' })).toThrow(/unknown signal/);
    expect(() => exitStatus({ code: null, signal: 'NSIG' })).toThrow(/unknown signal/);
    expect(() => exitStatus({ code: null, signal: 'toString' })).toThrow(/unknown signal/);
  });

  it('knows when PID 1 would have died of a signal the kernel dropped', () => {
    const status = (cgt: string, ign: string) => `Name:\tsleep\nSigIgn:\t${ign}\nSigCgt:\t${cgt}\n`;
    // SIGTERM (15): bit 14.
    expect(defaultActionSuppressed(status('0000000000000000', '0000000000001000'), 15)).toBe(true);
    expect(defaultActionSuppressed(status('0000000000004000', '0000000000000000'), 15)).toBe(false);
    expect(defaultActionSuppressed(status('0000000000000000', '0000000000004000'), 15)).toBe(false);
    // SIGINT (2): bit 1.
    expect(defaultActionSuppressed(status('0000000000000002', '0'), 2)).toBe(false);
  });
});
