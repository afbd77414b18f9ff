import { describe, expect, it } from 'vitest';
import { EntryRefused, entryPath, entryXattrs, planEntry } from '../src/entries.js';

const refused = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EntryRefused);
    expect((e as EntryRefused).code).toBe('ERR_LAYER_REFUSED');
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('not refused');
};

describe('entry paths', () => {
  it('normalises ./ prefixes, repeated and trailing slashes', () => {
    expect(entryPath('./usr//bin/')).toEqual(['usr', 'bin']);
    expect(entryPath('./')).toEqual([]);
  });
  it('refuses absolute paths and .. anywhere', () => {
    expect(refused(() => entryPath('/etc/passwd'))).toBe('entry "/etc/passwd" is an absolute path');
    expect(refused(() => entryPath('../x'))).toBe('entry "../x" leaves the layer through ..');
    refused(() => entryPath('a/../../x'));
    refused(() => entryPath('a/b/..'));
  });
});

describe('planEntry', () => {
  it('turns .wh.NAME into a whiteout of NAME and .wh..wh..opq into an opaque directory', () => {
    expect(planEntry({ name: 'etc/.wh.passwd' })).toEqual({
      kind: 'whiteout',
      parts: ['etc', 'passwd'],
    });
    expect(planEntry({ name: 'var/cache/.wh..wh..opq' })).toEqual({
      kind: 'opaque',
      parts: ['var', 'cache'],
    });
    expect(planEntry({ name: '.wh..wh.plnk/1' }).kind).toBe('skip');
  });
  it('refuses whiteouts that name .. or nothing', () => {
    refused(() => planEntry({ name: 'a/.wh...' }));
    refused(() => planEntry({ name: 'a/.wh.' }));
  });
  it('plans files, directories, symlinks (any target), fifos', () => {
    expect(planEntry({ name: 'a/f', type: 'file' })).toEqual({ kind: 'file', parts: ['a', 'f'] });
    expect(planEntry({ name: 'a/', type: 'directory' })).toEqual({ kind: 'dir', parts: ['a'] });
    expect(planEntry({ name: 'l', type: 'symlink', linkname: '/' })).toEqual({
      kind: 'symlink',
      parts: ['l'],
      target: '/',
    });
    expect(planEntry({ name: 'p', type: 'fifo' }).kind).toBe('fifo');
  });
  it('refuses hard links to absolute paths or through ..', () => {
    expect(refused(() => planEntry({ name: 'h', type: 'link', linkname: '/etc/shadow' }))).toBe(
      'hard link "h" to "/etc/shadow" is an absolute path',
    );
    refused(() => planEntry({ name: 'h', type: 'link', linkname: '../../etc/shadow' }));
    expect(planEntry({ name: 'h', type: 'link', linkname: './a/f' })).toEqual({
      kind: 'hardlink',
      parts: ['h'],
      target: ['a', 'f'],
    });
  });
  it('skips device nodes, as podman does in a user namespace', () => {
    expect(
      planEntry({ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 }),
    ).toMatchObject({ kind: 'skip' });
    expect(planEntry({ name: 'dev/sda', type: 'block-device' })).toMatchObject({ kind: 'skip' });
  });
  it('refuses a non-directory as the layer root', () => {
    refused(() => planEntry({ name: './', type: 'symlink', linkname: '/' }));
  });
});

describe('entryXattrs', () => {
  it('keeps capabilities byte for byte and user attributes; drops overlay, trusted and other security ones', () => {
    const cap = Buffer.from([0, 0, 0, 2, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const got = entryXattrs({
      'SCHILY.xattr.security.capability': cap.toString('latin1'),
      'SCHILY.xattr.user.note': 'hi',
      'SCHILY.xattr.user.overlay.redirect': '/etc',
      'SCHILY.xattr.trusted.overlay.opaque': 'y',
      'SCHILY.xattr.security.selinux': 'x',
      path: 'ignored',
    });
    expect(got.map((x) => x.name)).toEqual(['security.capability', 'user.note']);
    expect(got[0]!.value.equals(cap)).toBe(true);
  });
});
