import { describe, expect, it } from 'vitest';
import { wantsEarlyLauncher } from '../src/early-launcher.js';

describe('wantsEarlyLauncher', () => {
  const argv = (...args: string[]) => ['/usr/bin/node', '/x/cli.js', ...args];

  it('starts one for run, the only command that starts a container', () => {
    expect(wantsEarlyLauncher(argv('run', '--root', '/r', 'true'), false)).toBe(true);
    expect(wantsEarlyLauncher(argv('run', 'alpine'), false)).toBe(true);
  });

  it('not when Node runs --single-threaded: the container then starts from the CLI itself', () => {
    expect(wantsEarlyLauncher(argv('run', 'alpine'), true)).toBe(false);
    expect(wantsEarlyLauncher(argv('run', 'alpine'), false)).toBe(true);
  });

  it('not for other commands, help, or nothing', () => {
    for (const a of [[], ['pull', 'x'], ['images'], ['rootfs', 'busybox', '/r'], ['caps']])
      expect(wantsEarlyLauncher(argv(...a), false)).toBe(false);
    expect(wantsEarlyLauncher(argv('run', '--help'), false)).toBe(false);
    expect(wantsEarlyLauncher(argv('run', '-h'), false)).toBe(false);
  });
});
