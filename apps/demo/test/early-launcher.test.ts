import { describe, expect, it } from 'vitest';
import { wantsEarlyLauncher } from '../src/early-launcher.js';

describe('wantsEarlyLauncher', () => {
  const argv = (...args: string[]) => ['/usr/bin/node', '/x/cli.js', ...args];

  it('starts one for run, the only command that starts a container', () => {
    expect(wantsEarlyLauncher(argv('run', '--root', '/r', 'true'))).toBe(true);
    expect(wantsEarlyLauncher(argv('run', 'alpine'))).toBe(true);
  });

  it('not when Node runs --single-threaded: the container then starts from the CLI itself', () => {
    expect(wantsEarlyLauncher(argv('run', 'alpine'), ['--single-threaded'])).toBe(false);
    expect(wantsEarlyLauncher(argv('run', 'alpine'), ['--expose-gc'])).toBe(true);
  });

  it('not for other commands, help, or nothing', () => {
    for (const a of [[], ['pull', 'x'], ['images'], ['rootfs', 'busybox', '/r'], ['caps']])
      expect(wantsEarlyLauncher(argv(...a))).toBe(false);
    expect(wantsEarlyLauncher(argv('run', '--help'))).toBe(false);
    expect(wantsEarlyLauncher(argv('run', '-h'))).toBe(false);
  });
});
