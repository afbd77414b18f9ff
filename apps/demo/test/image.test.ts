import { formatReference, parseReference, withDefaultTag } from '@rootless-ts/image';
import { defaultStoreRoot as storeRoot } from '@rootless-ts/store';
import { describe, expect, it } from 'vitest';
import { parseCreds, parseTlsVerify } from '../src/image.js';
import {
  defaultStoreRoot,
  imageArgumentKind,
  isImageArgument,
  normalizeReference,
  storeName,
} from '../src/image-arg.js';
import { applyImageConfig, parseEntrypoint } from '../src/image-config.js';
import { busyboxOwners, parseLayoutSpec } from '../src/rootfs-image.js';

const config = {
  Entrypoint: ['/bin/sh', '-c'],
  Cmd: ['echo hi'],
  Env: ['PATH=/usr/bin:/bin', 'GREETING=hello', 'EMPTY=', 'A=b=c'],
  WorkingDir: '/work',
  User: '1000:1000',
};

describe('applyImageConfig (podman’s rules)', () => {
  it('Entrypoint + Cmd, Env in order, WorkingDir, User', () => {
    expect(applyImageConfig('img', config, { args: [] })).toEqual({
      command: ['/bin/sh', '-c', 'echo hi'],
      env: [
        ['PATH', '/usr/bin:/bin'],
        ['GREETING', 'hello'],
        ['EMPTY', ''],
        ['A', 'b=c'],
      ],
      workdir: '/work',
      user: '1000:1000',
    });
  });
  it('COMMAND replaces Cmd, keeps Entrypoint', () => {
    expect(applyImageConfig('img', config, { args: ['id'] }).command).toEqual([
      '/bin/sh',
      '-c',
      'id',
    ]);
  });
  it('--entrypoint replaces Entrypoint and drops Cmd; "" clears it', () => {
    expect(applyImageConfig('img', config, { args: [], entrypoint: '/bin/true' }).command).toEqual([
      '/bin/true',
    ]);
    expect(applyImageConfig('img', config, { args: ['ls', '/'], entrypoint: '' }).command).toEqual([
      'ls',
      '/',
    ]);
  });
  it('-u and -w win; without them root and /', () => {
    const o = applyImageConfig('img', config, { args: [], user: 'root', workdir: '/tmp' });
    expect([o.user, o.workdir]).toEqual(['root', '/tmp']);
    const bare = applyImageConfig('img', { Cmd: ['sh'] }, { args: [] });
    expect([bare.user, bare.workdir, bare.env]).toEqual(['0', '/', []]);
  });
  it('no command at all is an error naming the image', () => {
    expect(() => applyImageConfig('img', {}, { args: [] })).toThrow(/img: .*no Entrypoint or Cmd/);
    expect(() => applyImageConfig('img', config, { args: [], entrypoint: '' })).toThrow(
      /no Entrypoint or Cmd/,
    );
  });
  it('parseEntrypoint: a JSON array, else one word', () => {
    expect(parseEntrypoint('["/bin/sh","-c"]')).toEqual(['/bin/sh', '-c']);
    expect(parseEntrypoint('/bin/sh -c')).toEqual(['/bin/sh -c']);
    expect(parseEntrypoint('[not json')).toEqual(['[not json']);
  });
});

describe('isImageArgument: image or host command', () => {
  const none = { inStore: () => false, onPath: () => false };
  const host = { inStore: () => false, onPath: (n: string) => ['sh', 'id', 'busybox'].includes(n) };
  it('transport prefixes are images', () => {
    for (const a of ['docker://alpine', 'oci:./l:t', 'oci-archive:x.tar', 'docker-archive:y.tar'])
      expect(isImageArgument(a, host), a).toBe(true);
  });
  it('paths and non-references are commands', () => {
    for (const a of ['/bin/sh', './run.sh', '../x', 'UPPER', 'a b', ''])
      expect(isImageArgument(a, none), a).toBe(false);
  });
  it('a registry, tag or digest makes an image even when a program has the name', () => {
    expect(isImageArgument('busybox:1', host)).toBe(true);
    expect(isImageArgument('localhost:5000/x', host)).toBe(true);
    expect(isImageArgument('quay.io/x/y', host)).toBe(true);
    expect(isImageArgument(`busybox@sha256:${'a'.repeat(64)}`, host)).toBe(true);
  });
  it('a bare name: the store first, then the host PATH, else an image to pull', () => {
    expect(isImageArgument('sh', host)).toBe(false);
    expect(imageArgumentKind('alpine', host)).toBe('guess');
    expect(imageArgumentKind('alpine:3', host)).toBe('image');
    const stored = {
      inStore: (n: string) => n === 'docker.io/library/busybox:latest',
      onPath: () => true,
    };
    expect(isImageArgument('busybox', stored)).toBe(true);
  });
  it('storeName qualifies registry references and makes paths absolute', () => {
    expect(storeName('alpine')).toBe('docker.io/library/alpine:latest');
    expect(storeName('127.0.0.1:5000/a/b')).toBe('127.0.0.1:5000/a/b:latest');
    expect(storeName('oci:l:t', '/w')).toBe('oci:/w/l:t');
    expect(storeName('docker-archive:x.tar', '/w')).toBe('docker-archive:/w/x.tar');
  });
});

describe('the light reference parser agrees with @rootless-ts/image', () => {
  const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
  it.each([
    'alpine',
    'alpine:3.20',
    'library/alpine',
    'user/repo',
    'docker.io/alpine',
    'index.docker.io/library/alpine:edge',
    'quay.io/podman/stable:v5',
    'localhost/x',
    'localhost:5000/a/b:1',
    '127.0.0.1:5000/test/busybox',
    '[::1]:5000/a',
    `busybox@${digest}`,
    `busybox:1@${digest}`,
    'my-repo__x.y/z-1',
    'UPPER',
    'a b',
    'repo:',
    ':tag',
    'a//b',
    '0123456789abcdef'.repeat(4),
    '-x',
    'x-',
  ])('%s', (ref) => {
    let expected: string;
    try {
      expected = formatReference(withDefaultTag(parseReference(ref)));
    } catch {
      expect(() => normalizeReference(ref)).toThrow();
      return;
    }
    expect(normalizeReference(ref)).toBe(expected);
  });
  it('the store root is the store package’s', () => {
    expect(defaultStoreRoot()).toBe(storeRoot());
  });
});

describe('pull options', () => {
  it('--tls-verify takes true or false', () => {
    expect(parseTlsVerify(undefined)).toBeUndefined();
    expect(parseTlsVerify(true)).toBe(true);
    expect(parseTlsVerify('false')).toBe(false);
    expect(() => parseTlsVerify('no')).toThrow(/--tls-verify: "no" is not true or false/);
  });
  it('--creds USER[:PASSWORD]', () => {
    expect(parseCreds('u:p:q')).toEqual({ username: 'u', password: 'p:q' });
    expect(parseCreds('u')).toEqual({ username: 'u', password: '' });
    expect(() => parseCreds(':p')).toThrow(/--creds/);
  });
});

describe('rootfs --image', () => {
  it('parses oci:DIR[:TAG]', () => {
    expect(parseLayoutSpec('oci:l', '/w')).toEqual({ dir: '/w/l', tag: 'latest' });
    expect(parseLayoutSpec('oci:/abs/l:bb', '/w')).toEqual({ dir: '/abs/l', tag: 'bb' });
    expect(() => parseLayoutSpec('docker://x', '/w')).toThrow(/--image/);
    expect(() => parseLayoutSpec('oci:l:bad tag', '/w')).toThrow(/not a valid tag/);
  });
  it('busybox owners: root, alpine in its home', () => {
    expect(busyboxOwners('bin/busybox')).toEqual({ uid: 0, gid: 0 });
    expect(busyboxOwners('home/alpine')).toEqual({ uid: 1100, gid: 1100 });
    expect(busyboxOwners('home/alpine/x')).toEqual({ uid: 1100, gid: 1100 });
    expect(busyboxOwners('home/alpinex')).toEqual({ uid: 0, gid: 0 });
  });
});
