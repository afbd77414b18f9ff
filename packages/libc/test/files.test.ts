import { closeSync, lstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fcntl as F } from '@rootless-ts/constants';
import { afterAll, describe, expect, it } from 'vitest';
import { flock, lgetxattr, llistxattr, lsetxattr, mknod, syncfs } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'libc-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flock', () => {
  it('gives one exclusive holder; a second descriptor gets EAGAIN (EWOULDBLOCK) until it is closed', () => {
    const p = join(dir, 'lock');
    const a = openSync(p, 'a');
    const b = openSync(p, 'a');
    flock(a, F.LOCK_EX | F.LOCK_NB);
    expect(() => flock(b, F.LOCK_SH | F.LOCK_NB)).toThrow(
      expect.objectContaining({ code: 'EAGAIN', syscall: 'flock' }),
    );
    closeSync(a);
    flock(b, F.LOCK_SH | F.LOCK_NB);
    closeSync(b);
  });
});

describe('extended attributes', () => {
  it('sets, reads and lists user attributes with binary values; absent ones are undefined', () => {
    const f = join(dir, 'x');
    writeFileSync(f, '');
    const value = Buffer.from([0, 1, 0xff, 0x80]);
    lsetxattr(f, 'user.test', value);
    expect(lgetxattr(f, 'user.test')?.equals(value)).toBe(true);
    expect(llistxattr(f)).toContain('user.test');
    expect(lgetxattr(f, 'user.absent')).toBeUndefined();
    expect(() => lgetxattr(join(dir, 'none'), 'user.test')).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'lgetxattr' }),
    );
  });
});

describe('mknod and syncfs', () => {
  it('makes a fifo, refuses a device node to an unprivileged user, and syncs', () => {
    const p = join(dir, 'fifo');
    mknod(p, F.S_IFIFO | 0o600, 0);
    expect(lstatSync(p).isFIFO()).toBe(true);
    if (process.getuid!() !== 0) {
      expect(() => mknod(join(dir, 'null'), F.S_IFCHR | 0o600, 0x103)).toThrow(
        expect.objectContaining({ code: 'EPERM' }),
      );
    }
    const fd = openSync(dir, 'r');
    syncfs(fd);
    closeSync(fd);
  });
});
