import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  homeDir,
  hostName,
  kernelRelease,
  tempDir,
  userName,
  userNameInPasswd,
} from '../src/system.js';

describe('system facts without node:os: the same answers as node:os', () => {
  it('kernelRelease is os.release()', () => {
    expect(kernelRelease()).toBe(os.release());
    expect(kernelRelease()).toMatch(/^\d+\.\d+/);
  });

  it('hostName is os.hostname()', () => {
    expect(hostName()).toBe(os.hostname());
  });

  it('homeDir is os.homedir(): $HOME, else the passwd entry', () => {
    expect(homeDir()).toBe(os.homedir());
    expect(homeDir({ HOME: '/somewhere' })).toBe('/somewhere');
    // Empty or unset: node:os decides from the passwd entry.
    const saved = process.env.HOME;
    try {
      delete process.env.HOME;
      expect(homeDir({})).toBe(os.homedir());
      expect(homeDir({ HOME: '' })).toBe(os.homedir());
    } finally {
      process.env.HOME = saved;
    }
  });

  describe('tempDir is os.tmpdir()', () => {
    const saved = { TMPDIR: process.env.TMPDIR, TMP: process.env.TMP, TEMP: process.env.TEMP };
    afterEach(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    it.each([
      [{}],
      [{ TMPDIR: '/var/tmp/' }],
      [{ TMP: '/x/y' }],
      [{ TEMP: '/t/', TMP: '' }],
      [{ TMPDIR: '/' }],
      [{ TMPDIR: '', TMP: '', TEMP: '' }],
    ])('%j', (vars: Record<string, string>) => {
      for (const k of ['TMPDIR', 'TMP', 'TEMP']) delete process.env[k];
      Object.assign(process.env, vars);
      expect(tempDir()).toBe(os.tmpdir());
      expect(tempDir({ ...vars })).toBe(os.tmpdir());
    });
  });

  it("userName is os.userInfo().username for the caller's uid", () => {
    expect(userName(process.getuid!())).toBe(os.userInfo().username);
  });
});

describe('userNameInPasswd', () => {
  const passwd = [
    '# a comment: 1000',
    'root:x:0:0:root:/root:/bin/bash',
    '+nis:x:1000:1000::/:/bin/sh',
    'alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash',
    'alias:x:1000:1000::/home/alice:/bin/sh',
    'short:x:1001',
    '',
  ].join('\n');

  it('finds the first entry of the uid, as the "files" source does', () => {
    expect(userNameInPasswd(passwd, 0)).toBe('root');
    expect(userNameInPasswd(passwd, 1000)).toBe('alice');
  });

  it('skips comments, NIS lines and short lines; undefined when none matches', () => {
    expect(userNameInPasswd(passwd, 1001)).toBeUndefined();
    expect(userNameInPasswd(passwd, 4242)).toBeUndefined();
  });

  it('userName reads a given passwd file, and undefined when the uid is nobody known', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'libc-system-'));
    try {
      const file = join(dir, 'passwd');
      writeFileSync(file, passwd);
      expect(userName(1000, file)).toBe('alice');
      expect(userName(4242, file)).toBeUndefined();
      expect(userName(4242, join(dir, 'missing'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
