import { openSync } from 'node:fs';
import { errno } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import { ErrnoError, errnoError, isErrnoError, open } from '../src/index.js';

describe('ErrnoError', () => {
  it('is shaped like a Node system error', () => {
    const e = errnoError(errno.EPERM, 'mount', '/proc');
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(ErrnoError);
    expect(e.name).toBe('ErrnoError');
    expect(e.errno).toBe(1);
    expect(e.code).toBe('EPERM');
    expect(e.syscall).toBe('mount');
    expect(e.path).toBe('/proc');
    expect(e.message).toBe("EPERM: operation not permitted, mount '/proc'");
    expect('dest' in e).toBe(false);
  });

  it('names both paths of a two-path call', () => {
    const e = errnoError(errno.EINVAL, 'pivot_root', '/new', '/new/old');
    expect(e.message).toBe("EINVAL: invalid argument, pivot_root '/new' -> '/new/old'");
    expect(e.dest).toBe('/new/old');
  });

  it('omits the path when there is none, and survives unknown errnos', () => {
    const e = errnoError(errno.EBADF, 'close');
    expect(e.message).toBe('EBADF: bad file descriptor, close');
    expect('path' in e).toBe(false);
    expect(errnoError(4095, 'x').code).toBe('UNKNOWN');
  });

  it('isErrnoError checks the class and optionally the code', () => {
    const e = errnoError(errno.ENOENT, 'open', '/x');
    expect(isErrnoError(e)).toBe(true);
    expect(isErrnoError(e, 'ENOENT')).toBe(true);
    expect(isErrnoError(e, 'EPERM')).toBe(false);
    expect(isErrnoError(new Error('x'))).toBe(false);
    expect(isErrnoError({ code: 'ENOENT' })).toBe(false);
  });

  it('is what a failed call throws: open of a missing path', () => {
    const path = '/nonexistent/rootless-ts-libc';
    let caught: unknown;
    try {
      open(path, 0);
    } catch (e) {
      caught = e;
    }
    expect(isErrnoError(caught, 'ENOENT')).toBe(true);
    const e = caught as ErrnoError;
    expect(e.errno).toBe(errno.ENOENT);
    expect(e.syscall).toBe('open');
    expect(e.path).toBe(path);
    expect(e.message).toBe(`ENOENT: no such file or directory, open '${path}'`);
    // Same message as Node's own fs error for the same failure.
    expect(() => openSync(path, 'r')).toThrow(e.message);
  });
});
