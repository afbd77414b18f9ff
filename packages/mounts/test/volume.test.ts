import { describe, expect, it } from 'vitest';
import { isMountError, MountError, parseVolume } from '../src/index.js';

describe('parseVolume', () => {
  it('parses HOST:CONT with ro as the default mode', () => {
    expect(parseVolume('/srv/data:/data')).toEqual({
      source: '/srv/data',
      target: '/data',
      readonly: true,
    });
  });

  it('parses explicit modes', () => {
    expect(parseVolume('/a:/b:ro').readonly).toBe(true);
    expect(parseVolume('/a:/b:rw').readonly).toBe(false);
  });

  it('normalizes paths and resolves ./relative host paths against cwd', () => {
    expect(parseVolume('./x/../y:/c//d/./e/', { cwd: '/home/u' })).toEqual({
      source: '/home/u/y',
      target: '/c/d/e',
      readonly: true,
    });
  });

  it.each([
    ['/a', 'expected HOST:CONTAINER[:ro|rw]'],
    ['/a:/b:ro:x', "too many ':'"],
    [':/b', 'the host path is empty'],
    ['/a:', 'the container path is empty'],
    ['/a:/b:', 'unknown mode ""'],
    ['/a:/b:rx', 'unknown mode "rx"'],
    ['data:/b', 'must be absolute or start with'],
    ['/a:b', 'container path "b" must be absolute'],
    ['/a:/b/../../etc', "must not contain '..'"],
    ['/a:/', "cannot mount a volume over the container's /"],
  ])('refuses %j with a clear error', (spec, why) => {
    let err: unknown;
    try {
      parseVolume(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MountError);
    expect(isMountError(err)).toBe(true);
    expect((err as MountError).op).toBe('volume');
    expect((err as MountError).message).toContain(`invalid volume ${JSON.stringify(spec)}`);
    expect((err as MountError).message).toContain(why);
  });
});
