import type { NetworkMode } from '@rootless-ts/network';
import { describe, expect, it } from 'vitest';
import { earlyNetwork } from '../src/early-holder.js';

describe('earlyNetwork', () => {
  const argv = (...args: string[]) => ['/usr/bin/node', '/x/cli.js', ...args];
  const pasta = (): NetworkMode => 'pasta';
  const early = (args: string[], singleThreaded = true, defaultMode = pasta) =>
    earlyNetwork(argv(...args), singleThreaded, defaultMode);

  it('a run from this very process (--single-threaded) with the default network helper', () => {
    expect(early(['run', '--root', '/r', '--', 'true'])).toBe('pasta');
    expect(early(['run', '-it', '--rm', 'alpine', 'sh'])).toBe('pasta');
    // Through a launcher, the early launcher is the head start instead.
    expect(early(['run', 'alpine'], false)).toBeUndefined();
  });

  it('a plain --network mode with a helper is started as given; one without a helper is not', () => {
    expect(early(['run', '--network', 'slirp4netns', 'alpine'])).toBe('slirp4netns');
    expect(early(['run', '--net=pasta', 'alpine'])).toBe('pasta');
    expect(early(['run', '--network', 'none', 'alpine'])).toBeUndefined();
    expect(early(['run', '--network=host', 'alpine'])).toBeUndefined();
    // No helper installed: the default is none, nothing to start early.
    expect(early(['run', 'alpine'], true, () => 'none')).toBeUndefined();
  });

  it('nothing for a port to publish, help, or a network that is not a plain mode', () => {
    for (const a of [
      ['-p', '8080:80'],
      ['-p8080:80'],
      ['--publish', '80'],
      ['-itp', '80'],
      ['--help'],
      ['-h'],
      ['--network', 'bridge'],
      ['--network'],
    ])
      expect(early(['run', ...a, 'alpine'])).toBeUndefined();
    // After --, the words are the program's.
    expect(early(['run', 'alpine', '--', 'ping', '-p', 'ff'])).toBe('pasta');
  });

  it('nothing for other commands', () => {
    for (const a of [[], ['pull', 'x'], ['images'], ['rootfs', 'busybox', '/r']])
      expect(early(a)).toBeUndefined();
  });
});
