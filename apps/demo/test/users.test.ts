import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isDirInRoot,
  parseGroup,
  parsePasswd,
  readInRoot,
  readUserDb,
  resolveUser,
} from '../src/users.js';

const fixtureRoot = new URL('./fixtures/root', import.meta.url).pathname;
const db = readUserDb(fixtureRoot);
const defaults = { uid: 1100, gid: 1100 };

describe('passwd and group parsing', () => {
  it('reads the fixture files, skipping malformed lines', () => {
    expect(db.passwd.map((p) => p.name)).toEqual(['root', 'daemon', 'alpine', 'nohome']);
    expect(db.passwd[2]).toEqual({
      name: 'alpine',
      uid: 1100,
      gid: 1100,
      home: '/home/alpine',
      shell: '/bin/sh',
    });
    expect(db.group.find((g) => g.name === 'wheel')).toEqual({
      name: 'wheel',
      gid: 10,
      members: ['root', 'alpine'],
    });
    expect(db.passwdPath).toBe(`${fixtureRoot}/etc/passwd`);
  });

  it('ignores junk', () => {
    expect(parsePasswd('::::::\n+::::::\nx:x:1:2:g:/h:/s:extra\n')).toHaveLength(1);
    expect(parseGroup('a:x:b:\n:x:1:\nok:x:3:\n')).toEqual([{ name: 'ok', gid: 3, members: [] }]);
  });
});

describe('resolveUser', () => {
  it('by name: uid, gid, home and groups (primary first, as initgroups does)', () => {
    expect(resolveUser({ user: 'alpine' }, db, defaults)).toEqual({
      uid: 1100,
      gid: 1100,
      groups: [1100, 10, 29],
      home: '/home/alpine',
      name: 'alpine',
    });
    expect(resolveUser({ user: 'root' }, db, defaults)).toEqual({
      uid: 0,
      gid: 0,
      groups: [0, 10],
      home: '/root',
      name: 'root',
    });
  });

  it('by id, with and without an entry (docker: gid 0, home /)', () => {
    expect(resolveUser({ user: '1100' }, db, defaults).name).toBe('alpine');
    expect(resolveUser({ user: '4242' }, db, defaults)).toEqual({
      uid: 4242,
      gid: 0,
      groups: [0],
      home: '/',
    });
  });

  it('USER:GROUP by name or id', () => {
    expect(resolveUser({ user: '1100', group: '0' }, db, defaults)).toMatchObject({
      uid: 1100,
      gid: 0,
      groups: [0, 10, 29],
    });
    expect(resolveUser({ user: 'alpine', group: 'tty' }, db, defaults)).toMatchObject({ gid: 5 });
    expect(() => resolveUser({ user: 'alpine', group: 'nope' }, db, defaults)).toThrow(
      /^--user: no group "nope" in .*\/etc\/group$/,
    );
  });

  it('unknown names fail, naming the container file', () => {
    expect(() => resolveUser({ user: 'nobody' }, db, defaults)).toThrow(
      `--user: no user "nobody" in ${fixtureRoot}/etc/passwd`,
    );
  });

  it('without --user: the mapped id, with its entry when the image has one', () => {
    expect(resolveUser(undefined, db, defaults).name).toBe('alpine');
    expect(resolveUser(undefined, db, { uid: 0, gid: 0 }).home).toBe('/root');
    expect(resolveUser(undefined, db, { uid: 3000, gid: 3001 })).toEqual({
      uid: 3000,
      gid: 3001,
      groups: [3001],
      home: '/',
    });
  });
});

describe('reading the root filesystem safely', () => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-users-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves absolute symlinks inside the root, never to the host', () => {
    const root = join(dir, 'evil');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'host'), { recursive: true });
    // Inside the root, /etc/passwd -> /host/passwd, which is the root's own file, not the host's.
    writeFileSync(join(root, 'host/passwd'), 'inside:x:7:7::/:/bin/sh\n');
    symlinkSync('/host/passwd', join(root, 'etc/passwd'));
    symlinkSync('../../../../../../etc/shadow', join(root, 'etc/group'));
    expect(readUserDb(root).passwd.map((p) => p.name)).toEqual(['inside']);
    // ../ is clamped at the root: /etc/shadow of the root does not exist.
    expect(readInRoot(root, '/etc/group')).toBeUndefined();
  });

  it('refuses magic links and non-regular files', () => {
    const root = join(dir, 'magic');
    mkdirSync(join(root, 'etc'), { recursive: true });
    symlinkSync('/proc/self/root/etc/passwd', join(root, 'etc/passwd'));
    expect(readInRoot(root, '/etc/passwd')).toBeUndefined();
    mkdirSync(join(root, 'etc/group'));
    expect(readInRoot(root, '/etc/group')).toBeUndefined();
  });

  it('isDirInRoot', () => {
    expect(isDirInRoot(fixtureRoot, '/etc')).toBe(true);
    expect(isDirInRoot(fixtureRoot, '/etc/passwd')).toBe(false);
    expect(isDirInRoot(fixtureRoot, '/home/alpine')).toBe(false);
    expect(isDirInRoot(fixtureRoot, '/')).toBe(true);
  });
});
