import { openSync } from 'node:fs';
import { errno } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import {
  ErrnoError,
  errnoError,
  errnoFields,
  errorChain,
  formatErrorChain,
  isErrnoError,
  open,
  RootlessTsError,
  wrapError,
} from '../src/index.js';

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

describe('RootlessTsError, wrapError and the chain of context', () => {
  it('wraps with context, keeping the system call fields and the cause', () => {
    const inner = errnoError(errno.EACCES, 'chdir', '/root');
    const outer = wrapError(inner, 'entering the working directory');
    expect(outer).toBeInstanceOf(RootlessTsError);
    expect(outer.message).toBe('entering the working directory');
    expect(outer.cause).toBe(inner);
    expect(errnoFields(outer)).toEqual({
      errno: errno.EACCES,
      code: 'EACCES',
      syscall: 'chdir',
      path: '/root',
    });
    expect(errorChain(outer)).toEqual([outer, inner]);
    expect(formatErrorChain(outer)).toBe(
      "entering the working directory: EACCES: permission denied, chdir '/root'",
    );
  });

  it('copies the fields of Node errors with errno made positive, and nothing of other things', () => {
    let node: unknown;
    try {
      openSync('/nonexistent/x', 'r');
    } catch (e) {
      node = e;
    }
    expect(errnoFields(node)).toMatchObject({
      errno: errno.ENOENT,
      code: 'ENOENT',
      syscall: 'open',
    });
    expect(errnoFields('text')).toEqual({});
    expect(errnoFields(null)).toEqual({});
  });

  it('does not repeat a cause that an older message already baked in', () => {
    const inner = new Error('no such file');
    const outer = new Error('reading /etc/passwd: no such file', { cause: inner });
    expect(formatErrorChain(wrapError(outer, 'planning'))).toBe(
      'planning: reading /etc/passwd: no such file',
    );
  });

  it('names subclasses after themselves and keeps a documented code of its own', () => {
    class PlanError extends RootlessTsError {}
    const e = new PlanError('bad volume', { code: 'ERR_BAD_VOLUME' });
    expect(e.name).toBe('PlanError');
    expect(e.code).toBe('ERR_BAD_VOLUME');
    expect('errno' in e).toBe(false);
  });
});
