import { describe, expect, it } from 'vitest';
import { wantsEarlyHolder } from '../src/early-holder.js';

describe('wantsEarlyHolder', () => {
  const argv = (...args: string[]) => ['/usr/bin/node', '/x/cli.js', ...args];

  it('for a run from this very process (--single-threaded) with the default network', () => {
    expect(wantsEarlyHolder(argv('run', '--root', '/r', '--', 'true'), true)).toBe(true);
    expect(wantsEarlyHolder(argv('run', '-it', '--rm', 'alpine', 'sh'), true)).toBe(true);
    // Through a launcher, the early launcher is the head start instead.
    expect(wantsEarlyHolder(argv('run', 'alpine'), false)).toBe(false);
  });

  it('not when a word before -- may name a network or publish a port, nor for help', () => {
    for (const a of [
      ['--network', 'none'],
      ['--network=host'],
      ['--net', 'slirp4netns'],
      ['-p', '8080:80'],
      ['-p8080:80'],
      ['--publish', '80'],
      ['-itp', '80'],
      ['--help'],
      ['-h'],
    ])
      expect(wantsEarlyHolder(argv('run', ...a, 'alpine'), true)).toBe(false);
    // After --, the words are the program's.
    expect(wantsEarlyHolder(argv('run', 'alpine', '--', 'ping', '-p', 'ff'), true)).toBe(true);
  });

  it('not for other commands', () => {
    for (const a of [[], ['pull', 'x'], ['images'], ['rootfs', 'busybox', '/r']])
      expect(wantsEarlyHolder(argv(...a), true)).toBe(false);
  });
});
