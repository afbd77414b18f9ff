import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import * as libc from '@rootless-ts/libc';
import { mountTable, removeTree, runAs, userTempDir } from '@rootless-ts/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkConsistent,
  hostGid,
  hostUid,
  listDir,
  op,
  sha256File,
  startPull,
  strays,
  user,
} from './helpers.js';

let T: string;
/**
 * Host mounts under the scratch directory, where every store and overlay of these tests lives:
 * none may appear on the host. (Other work on the machine may mount elsewhere meanwhile.)
 */
const ourMounts = () => mountTable().filter((m) => m.includes(T));
beforeAll(() => {
  T = userTempDir(user, 'rootless-store-');
});
afterAll(() => {
  removeTree(T);
});
afterEach(() => {
  expect(strays()).toEqual([]);
  expect(ourMounts()).toEqual([]);
});

const MTIME = new Date(1700000000000);
// A v2 file capability (VFS_CAP_REVISION_2 | effective) granting cap_net_raw (13).
const CAP_NET_RAW = Buffer.from([
  0x01, 0, 0, 0x02, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

async function build(name: string, layers: unknown[][], options?: unknown) {
  const r = await op({ op: 'build', dir: join(T, 'img', name), layers, options });
  expect(r.error).toBeUndefined();
  return r.result as {
    manifestDigest: string;
    configDigest: string;
    diffIds: string[];
    layers: Array<{ digest: string; size: number }>;
  };
}

const layerDir = (root: string, diffId: string) =>
  join(root, 'layers', 'sha256', diffId.slice(7), 'diff');

describe('extraction as root in the user namespace', () => {
  it('keeps owners (as subordinate ids on the host), modes, setuid, hard links, symlinks, fifos, xattrs', async () => {
    const img = await build('fidelity', [
      [
        { name: 'bin/', type: 'directory', mode: 0o755 },
        { name: 'bin/tool', content: '#!/bin/sh\n', mode: 0o4755 },
        {
          name: 'bin/ping',
          content: 'ping',
          mode: 0o755,
          pax: { 'SCHILY.xattr.security.capability': CAP_NET_RAW.toString('latin1') },
        },
        { name: 'bin/hl', type: 'link', linkname: 'bin/tool' },
        {
          name: 'bin/sl',
          type: 'symlink',
          linkname: 'tool',
          pax: { 'SCHILY.xattr.user.x': 'ignored' },
        },
        { name: 'bin/twice', content: 'first' },
        { name: 'bin/twice', content: 'second', mode: 0o600 },
        { name: 'home/u/', type: 'directory', mode: 0o750, uid: 1000, gid: 1000 },
        {
          name: 'home/u/f',
          content: 'mine',
          mode: 0o640,
          uid: 1000,
          gid: 1001,
          pax: { 'SCHILY.xattr.user.note': 'hi' },
        },
        { name: 'home/u/forged', content: 'x', pax: { 'SCHILY.xattr.user.overlay.opaque': 'y' } },
        { name: 'run/p', type: 'fifo', mode: 0o600 },
        { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'g/', type: 'directory', mode: 0o2775, gid: 50 },
      ],
      [{ name: 'bin/.wh.sl' }, { name: 'home/.wh..wh..opq' }],
    ]);
    const root = join(T, 'fidelity');
    const r = await op({
      op: 'pull',
      root,
      dir: join(T, 'img', 'fidelity'),
      name: 'test/fidelity:1',
    });
    expect(r.error).toBeUndefined();
    expect(r.phases).toEqual(['downloading', 'extracting', 'done']);
    const l1 = layerDir(root, img.diffIds[0]!);
    const st = (p: string) => lstatSync(join(l1, p));
    // Owners: tar's ids are container ids, stored as the host ids they map to.
    expect([st('bin/tool').uid, st('bin/tool').gid]).toEqual([hostUid(0), hostGid(0)]);
    expect([st('home/u/f').uid, st('home/u/f').gid]).toEqual([hostUid(1000), hostGid(1001)]);
    expect(st('home/u').uid).toBe(hostUid(1000));
    expect(st('g').gid).toBe(hostGid(50));
    expect(hostUid(0)).not.toBe(user.uid);
    // Modes, set-id bits included.
    expect(st('bin/tool').mode & 0o7777).toBe(0o4755);
    expect(st('home/u').mode & 0o7777).toBe(0o750);
    expect(st('home/u/f').mode & 0o7777).toBe(0o640);
    expect(st('g').mode & 0o7777).toBe(0o2775);
    // Hard link: one inode; symlink: kept as written; fifo made; device skipped.
    expect(st('bin/hl').ino).toBe(st('bin/tool').ino);
    expect(st('bin/tool').nlink).toBe(2);
    expect(readlinkSync(join(l1, 'bin/sl'))).toBe('tool');
    // A name given twice: the later entry wins, as with tar.
    expect(readFileSync(join(l1, 'bin/twice'), 'utf8')).toBe('second');
    expect(st('bin/twice').mode & 0o7777).toBe(0o600);
    expect(st('run/p').isFIFO()).toBe(true);
    expect(existsSync(join(l1, 'dev/null'))).toBe(false);
    expect(st('bin/tool').mtime.getTime()).toBe(MTIME.getTime());
    expect(st('bin').mtime.getTime()).toBe(MTIME.getTime());
    // xattrs: the user one kept; the forged overlay one dropped.
    expect(libc.lgetxattr(join(l1, 'home/u/f'), 'user.note')?.toString()).toBe('hi');
    expect(libc.lgetxattr(join(l1, 'home/u/forged'), 'user.overlay.opaque')).toBeUndefined();
    // security.capability set by root in the user namespace: the kernel stored a v3
    // (namespaced) capability whose root id is the namespace's root on the host.
    const cap = libc.lgetxattr(join(l1, 'bin/ping'), 'security.capability')!;
    expect(cap.length).toBe(24);
    expect(cap.readUInt32LE(0) >>> 24).toBe(3);
    expect(cap.readUInt32LE(4)).toBe(1 << 13);
    expect(cap.readUInt32LE(20)).toBe(hostUid(0));
    // Whiteout and opaque directory of the second layer, in overlay's userxattr form.
    const l2 = layerDir(root, img.diffIds[1]!);
    const wh = lstatSync(join(l2, 'bin/sl'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(libc.lgetxattr(join(l2, 'home'), 'user.overlay.opaque')?.toString()).toBe('y');
    expect(listDir(join(root, 'tmp'))).toEqual([]);
    checkConsistent(root);
    const got = await op({ op: 'get', root, name: 'test/fidelity:1' });
    expect(got.result.layerDirs).toEqual([l1, l2]);
    expect(got.result.config.rootfs.diff_ids).toEqual(img.diffIds);
  });

  it("keeps a binary security.capability from GNU tar's --xattrs byte for byte", async () => {
    // Made on the host by root: setcap writes a v2 capability; cap_setuid is bit 7, so the
    // value has a byte 0x80, which a UTF-8 decoding of the PAX record would mangle.
    const src = join(T, 'captree');
    execFileSync('mkdir', ['-p', join(src, 'bin')]);
    writeFileSync(join(src, 'bin', 'cap'), 'x');
    execFileSync('setcap', ['cap_setuid,cap_net_raw+ep', join(src, 'bin', 'cap')]);
    const v2 = libc.lgetxattr(join(src, 'bin', 'cap'), 'security.capability')!;
    expect(v2.includes(0x80)).toBe(true);
    const tarFile = join(T, 'captree.tar');
    execFileSync('tar', [
      '--xattrs',
      '--xattrs-include=security.capability',
      '--numeric-owner',
      '--owner=0',
      '--group=0',
      '-C',
      src,
      '-cf',
      tarFile,
      '.',
    ]);
    execFileSync('chown', [`${user.uid}:${user.gid}`, tarFile]);
    const img = await build('gnutar', [{ tarFile } as unknown as unknown[]]);
    const root = join(T, 'gnutar');
    const r = await op({ op: 'pull', root, dir: join(T, 'img', 'gnutar'), name: 'test/gnutar:1' });
    expect(r.error).toBeUndefined();
    const cap = libc.lgetxattr(
      join(layerDir(root, img.diffIds[0]!), 'bin/cap'),
      'security.capability',
    )!;
    // Stored namespaced (v3): the same sets, and the namespace's root as its root id.
    expect(cap.readUInt32LE(0) >>> 24).toBe(3);
    expect(cap.subarray(4, 20).equals(v2.subarray(4, 20))).toBe(true);
    expect(cap.readUInt32LE(20)).toBe(hostUid(0));
    removeTree(root);
  });

  it('extracts a layer over 50 MiB', async () => {
    const img = await build('big', [
      [
        { name: 'big', random: 60 * 1024 * 1024, mode: 0o600 },
        { name: 'small', content: 's' },
      ],
    ]);
    expect(img.layers[0]!.size).toBeGreaterThan(50 * 1024 * 1024);
    const root = join(T, 'big');
    const r = await op({ op: 'pull', root, dir: join(T, 'img', 'big'), name: 'test/big:1' });
    expect(r.error).toBeUndefined();
    expect(r.lastBytes).toBe(img.layers[0]!.size);
    const f = join(layerDir(root, img.diffIds[0]!), 'big');
    expect(statSync(f).size).toBe(60 * 1024 * 1024);
    const layerBlob = readFileSync(
      join(T, 'img', 'big', 'blobs', 'sha256', img.layers[0]!.digest.slice(7)),
    );
    expect(layerBlob.length).toBe(img.layers[0]!.size);
    checkConsistent(root);
    removeTree(root);
  });
});

describe('overlay and copy', () => {
  let root: string;
  beforeAll(async () => {
    await build('ovl', [
      [
        { name: 'etc/a', content: 'a' },
        { name: 'etc/b', content: 'b' },
        { name: 'cache/old1', content: '1' },
        { name: 'cache/sub/old2', content: '2' },
      ],
      [{ name: 'etc/.wh.a' }, { name: 'cache/.wh..wh..opq' }, { name: 'cache/new', content: 'n' }],
    ]);
    root = join(T, 'ovl');
    const r = await op({ op: 'pull', root, dir: join(T, 'img', 'ovl'), name: 'test/ovl:1' });
    expect(r.error).toBeUndefined();
  });

  it('probes overlay in a user namespace', async () => {
    expect((await op({ op: 'probe', root })).result).toEqual({ supported: true });
  });

  it('honours whiteouts and opaque directories when mounted with userxattr; writes stay in the upper layer', async () => {
    const before = sha256File(
      join(
        layerDir(
          root,
          JSON.parse(readFileSync(join(root, 'images.json'), 'utf8')).images[0].layers[0].diffID,
        ),
        'etc/b',
      ),
    );
    const r = await op({
      op: 'mount-ls',
      root,
      name: 'test/ovl:1',
      id: 'c1',
      script: 'ls etc; echo --; ls cache; echo changed > etc/b; rm cache/new; echo --; ls -n -d .',
    });
    expect(r.error).toBeUndefined();
    expect(r.result.stderr).toBe('');
    const [etc, cache, rootLs] = r.result.stdout.split('--\n');
    expect(etc).toBe('b\n');
    expect(cache).toBe('new\n');
    // The merged root belongs to root inside, like the layers' roots.
    expect(rootLs).toMatch(/^d\S+ +\d+ 0 0 /);
    const lower = JSON.parse(readFileSync(join(root, 'images.json'), 'utf8')).images[0].layers;
    expect(sha256File(join(layerDir(root, lower[0].diffID), 'etc/b'))).toBe(before);
    expect(existsSync(join(layerDir(root, lower[1].diffID), 'cache/new'))).toBe(true);
    // The container's writable layer is gone after cleanup.
    expect(existsSync(r.result.dir)).toBe(false);
    expect(listDir(join(root, 'containers'))).toEqual([]);
  });

  it("upperOwner 'container': the container's setup owns the upper directory; a layer of files of several owners is removed", async () => {
    const r = await op({
      op: 'mount-ls',
      root,
      name: 'test/ovl:1',
      id: 'c5',
      upperOwner: 'container',
      script: [
        'ls -n -d .',
        // Files and directories of several mapped ids, one unreadable and unwritable by mode.
        'mkdir -p d/e && touch d/a d/e/f && chown 1:2 d/a && chown -R 1234:5678 d/e',
        'chmod 0 d/e && chown 7:7 d && mkfifo d/p && chown 65000:65000 d/p',
      ].join(' && '),
    });
    expect(r.error).toBeUndefined();
    expect(r.result.stderr).toBe('');
    expect(r.result.status.code).toBe(0);
    // The merged root belongs to root inside, like the top layer's root.
    expect(r.result.stdout).toMatch(/^d\S+ +\d+ 0 0 /);
    expect(r.result.upperOwnerLike).toMatch(/\/layers\/sha256\/[0-9a-f]{64}\/diff$/);
    expect(existsSync(r.result.dir)).toBe(false);
    expect(listDir(join(root, 'containers'))).toEqual([]);
    expect(listDir(join(root, 'tmp'))).toEqual([]);
  });

  it('removes the layer of a container that wrote nothing, at cleanup and after a crash', async () => {
    const r = await op({
      op: 'mount-ls',
      root,
      name: 'test/ovl:1',
      id: 'c6',
      upperOwner: 'container',
      script: 'cat etc/b >/dev/null',
    });
    expect(r.error).toBeUndefined();
    expect(r.result.status.code).toBe(0);
    expect(existsSync(r.result.dir)).toBe(false);
    // As after a crash: the record stays (and overlay's work/work of mode 0, owned by root
    // inside), until removeContainer.
    const kept = await op({
      op: 'mount-ls',
      root,
      name: 'test/ovl:1',
      id: 'c7',
      upperOwner: 'container',
      script: 'true',
      keep: true,
    });
    expect(kept.result.status.code).toBe(0);
    expect(listDir(join(root, 'containers'))).toEqual(['c7']);
    expect(lstatSync(join(kept.result.dir, 'upper')).uid).toBe(hostUid(0));
    expect((await op({ op: 'remove-container', root, id: 'c7' })).error).toBeUndefined();
    expect(listDir(join(root, 'containers'))).toEqual([]);
    expect(listDir(join(root, 'tmp'))).toEqual([]);
  });

  it('gc removes a container directory a crash left without its record', async () => {
    // As a runtime killed while preparing (or a power cut that lost the unsynced record).
    const ghost = join(root, 'containers', 'ghost');
    const made = await runAs(user, 'sh', [
      '-c',
      'mkdir -p "$0/upper/d" "$0/work" && echo x > "$0/upper/d/f"',
      ghost,
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect((await op({ op: 'containers', root })).result).toEqual([]);
    expect((await op({ op: 'gc', root })).error).toBeUndefined();
    expect(listDir(join(root, 'containers'))).toEqual([]);
    expect(listDir(join(root, 'tmp'))).toEqual([]);
  });

  it('mounts the same overlay through the new mount API from the fsconfig steps', async () => {
    const r = await op({
      op: 'mount-fsconfig',
      root,
      name: 'test/ovl:1',
      id: 'c4',
      dirs: ['etc', 'cache'],
    });
    expect(r.error).toBeUndefined();
    expect(r.result.stderr).toBe('');
    expect(r.result.stdout).toBe('etc: b\ncache: new\n');
    expect(listDir(join(root, 'containers'))).toEqual([]);
  });

  it('copies the layers as overlay would show them where overlay is not wanted', async () => {
    const r = await op({ op: 'prepare', root, name: 'test/ovl:1', id: 'c2', mode: 'copy' });
    expect(r.error).toBeUndefined();
    const fs = r.result.mergedHint as string;
    expect(listDir(join(fs, 'etc'))).toEqual(['b']);
    expect(listDir(join(fs, 'cache'))).toEqual(['new']);
    expect(lstatSync(join(fs, 'etc/b')).uid).toBe(hostUid(0));
    // The image is in use: rmi refuses until the container is gone.
    const rm = await op({ op: 'remove', root, name: 'test/ovl:1' });
    expect(rm.error?.code).toBe('ERR_IMAGE_IN_USE');
    const c = await op({ op: 'prepare-cleanup', root, name: 'test/ovl:1', id: 'c3', mode: 'copy' });
    expect(c.error).toBeUndefined();
    expect(listDir(join(root, 'containers'))).toEqual(['c2']);
    // Forced, the image goes but its layers stay while the container needs them.
    const forced = await op({ op: 'remove', root, name: 'test/ovl:1', options: { force: true } });
    expect(forced.result).toMatchObject({ removedLayers: 0 });
    expect(listDir(join(root, 'layers', 'sha256'))).toHaveLength(2);
    // As after a crash of the runtime: the record is there, the in-memory cleanup is gone.
    const left = (await op({ op: 'containers', root })).result;
    expect(left).toEqual([
      expect.objectContaining({ id: 'c2', mode: 'copy', diffIDs: expect.any(Array) }),
    ]);
    expect((await op({ op: 'remove-container', root, id: 'c2' })).error).toBeUndefined();
    expect(listDir(join(root, 'containers'))).toEqual([]);
    expect((await op({ op: 'remove-container', root, id: 'c2' })).error?.code).toBe(
      'ERR_CONTAINER_NOT_FOUND',
    );
    expect((await op({ op: 'gc', root })).result).toEqual({ removedBlobs: 0, removedLayers: 2 });
    expect(listDir(join(root, 'layers', 'sha256'))).toEqual([]);
  });

  it('refuses a container id that is not a plain name', async () => {
    const r = await op({ op: 'prepare', root, name: 'test/ovl:1', id: '../x', mode: 'copy' });
    expect(r.error?.code).toBe('ERR_BAD_CONTAINER_ID');
    expect(existsSync(join(root, 'x'))).toBe(false);
  });
});

describe('hostile layers', () => {
  const passwd = sha256File('/etc/passwd');
  const shadowLinks = statSync('/etc/shadow').nlink;

  const cases: Array<[string, () => unknown[], RegExp, () => string[]]> = [
    [
      '../ entry',
      () => [{ name: '../../../../../../../../escape1', content: 'x' }],
      /leaves the layer through \.\./,
      () => [join(T, 'escape1'), '/escape1', '/tmp/escape1'],
    ],
    [
      'absolute entry',
      () => [{ name: join(T, 'escape2'), content: 'x' }],
      /is an absolute path/,
      () => [join(T, 'escape2')],
    ],
    [
      'symlink to / then etc/passwd',
      () => [
        { name: 'evil', type: 'symlink', linkname: '/' },
        { name: 'evil/etc/passwd', content: 'pwned::0:0::/:/bin/sh\n' },
      ],
      /evil is a symlink, refusing to go through it/,
      () => [],
    ],
    [
      'symlink to a host directory then a file through it',
      () => [
        { name: 'evil', type: 'symlink', linkname: T },
        { name: 'evil/escape3', content: 'x' },
      ],
      /evil is a symlink/,
      () => [join(T, 'escape3')],
    ],
    [
      'hard link to itself',
      () => [
        { name: 'h', content: 'h' },
        { name: 'h', type: 'link', linkname: 'h' },
      ],
      /hard link "h" points at itself/,
      () => [],
    ],
    [
      'hard link to /etc/shadow',
      () => [{ name: 'h', type: 'link', linkname: '/etc/shadow' }],
      /hard link "h" to "\/etc\/shadow" is an absolute path/,
      () => [],
    ],
    [
      'hard link through ..',
      () => [{ name: 'h', type: 'link', linkname: '../../../../../../etc/shadow' }],
      /leaves the layer/,
      () => [],
    ],
    [
      'symlink then a directory and a file through it',
      () => [
        { name: 'd', type: 'symlink', linkname: T },
        { name: 'd/sub/', type: 'directory' },
        { name: 'd/sub/f', content: 'x' },
      ],
      /\/d is a symlink/,
      () => [join(T, 'sub')],
    ],
    [
      'directory replaced by a symlink, then a file through it',
      () => [
        { name: 'a/', type: 'directory' },
        { name: 'a/x', content: 'x' },
        { name: 'a', type: 'symlink', linkname: T },
        { name: 'a/y', content: 'y' },
      ],
      /\/a is a symlink/,
      () => [join(T, 'y')],
    ],
    [
      'hard link to a file not in the layer',
      () => [{ name: 'h', type: 'link', linkname: 'etc/shadow' }],
      /etc does not exist in this layer/,
      () => [],
    ],
  ];

  it.each(cases)(
    'refuses a %s with one line, writing nothing outside and keeping nothing',
    async (label, entries, message, outside) => {
      const name = label.replace(/[^a-z]+/g, '-');
      await build(name, [[{ name: 'ok', content: 'fine' }], entries()]);
      const root = join(T, `hostile-${name}`);
      const r = await op({ op: 'pull', root, dir: join(T, 'img', name), name: `test/${name}:1` });
      expect(r.error?.code).toBe('ERR_LAYER_REFUSED');
      expect(r.error?.message).toMatch(message);
      expect(r.error?.message).not.toContain('\n');
      for (const p of outside()) expect(existsSync(p)).toBe(false);
      expect(sha256File('/etc/passwd')).toBe(passwd);
      expect(statSync('/etc/shadow').nlink).toBe(shadowLinks);
      // Nothing of the failed pull is kept: no image, no layer, no blob, no temp file.
      expect(listDir(join(root, 'layers', 'sha256'))).toEqual([]);
      expect(listDir(join(root, 'blobs', 'sha256'))).toEqual([]);
      expect(listDir(join(root, 'tmp'))).toEqual([]);
      expect((await op({ op: 'list', root })).result).toEqual([]);
    },
  );

  it('refuses a blob whose digest does not match, keeping nothing from it', async () => {
    const img = await build('corrupt', [[{ name: 'f', content: 'good' }]], { gzip: false });
    const blob = join(T, 'img', 'corrupt', 'blobs', 'sha256', img.layers[0]!.digest.slice(7));
    const bytes = readFileSync(blob);
    bytes[600] = 'X'.charCodeAt(0);
    writeFileSync(blob, bytes);
    const root = join(T, 'corrupt');
    const r = await op({
      op: 'pull',
      root,
      dir: join(T, 'img', 'corrupt'),
      name: 'test/corrupt:1',
      verify: false,
    });
    expect(r.error?.code).toBe('ERR_DIGEST_MISMATCH');
    expect(r.error?.message).toMatch(
      /^blob sha256:[a-f0-9]{64} arrived with digest sha256:[a-f0-9]{64}$/,
    );
    expect(listDir(join(root, 'blobs', 'sha256'))).toEqual([]);
    expect(listDir(join(root, 'layers', 'sha256'))).toEqual([]);
    expect(listDir(join(root, 'tmp'))).toEqual([]);
  });
});

describe('crashes, concurrency, removal', () => {
  it('stays consistent when pulls are SIGKILLed at random points, and the next pulls complete', async () => {
    // One image per round (3 layers each), so that every round has work left to interrupt.
    const rounds = 6;
    const images = [];
    for (let k = 0; k < rounds; k++) {
      images.push(
        await build(
          `kill${k}`,
          Array.from({ length: 3 }, (_, i) => [
            { name: `l${i}/data`, random: 2 * 1024 * 1024 },
            { name: `l${i}/x`, content: `${k}.${i}`, uid: 7 },
          ]),
        ),
      );
    }
    const root = join(T, 'kill');
    // Seeded, so a failure can be replayed; each kill lands somewhere in download, extraction,
    // the index write or start-up.
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let killed = 0;
    for (let k = 0; k < rounds; k++) {
      const p = startPull({
        root,
        dir: join(T, 'img', `kill${k}`),
        name: `test/kill:${k}`,
        delayMs: 5,
        concurrency: 2,
      });
      await new Promise((r) => setTimeout(r, 100 + Math.floor(rand() * 800)));
      const wasRunning = p.child.exitCode === null && p.child.signalCode === null;
      p.child.kill('SIGKILL');
      const end = await p.exited;
      if (wasRunning && end.signal === 'SIGKILL') killed++;
      // A pull that ended on its own must have succeeded.
      else expect(end, end.output).toMatchObject({ code: 0 });
      // Its extractors die with it (parent-death signal); give the kernel a moment to reap.
      for (let i = 0; i < 50 && strays().length > 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(strays()).toEqual([]);
      checkConsistent(root);
    }
    expect(killed, `pulls killed: ${killed} of ${rounds}`).toBeGreaterThanOrEqual(rounds / 2);
    for (let k = 0; k < rounds; k++) {
      const r = await op({
        op: 'pull',
        root,
        dir: join(T, 'img', `kill${k}`),
        name: `test/kill:${k}`,
      });
      expect(r.error).toBeUndefined();
      checkConsistent(root);
      const got = await op({ op: 'get', root, name: `test/kill:${k}` });
      expect(got.result.diffIDs).toEqual(images[k]!.diffIds);
      for (const [i, d] of (got.result.layerDirs as string[]).entries()) {
        expect(readFileSync(join(d, `l${i}/x`), 'utf8')).toBe(`${k}.${i}`);
        expect(statSync(join(d, `l${i}/data`)).size).toBe(2 * 1024 * 1024);
      }
    }
    expect(listDir(join(root, 'tmp'))).toEqual([]);
    removeTree(root);
  });

  it('stops a pull on abort (Ctrl-C) with one line, keeping its finished layers for the next pull', async () => {
    const img = await build('abort', [
      [{ name: 'a', content: 'a' }],
      [{ name: 'b', random: 4 * 1024 * 1024 }],
      [{ name: 'c', random: 4 * 1024 * 1024 }],
    ]);
    const root = join(T, 'abort');
    const spec = {
      op: 'pull',
      root,
      dir: join(T, 'img', 'abort'),
      name: 'test/abort:1',
      concurrency: 1,
    };
    const r = await op({ ...spec, abortAfterLayers: 1 });
    expect(r.error?.code).toBe('ERR_ABORTED');
    expect(r.error?.message).not.toContain('\n');
    checkConsistent(root);
    expect((await op({ op: 'list', root })).result).toEqual([]);
    expect(r.extracted).toBe(1);
    const again = await op(spec);
    expect(again.error).toBeUndefined();
    expect(again.existed).toBe(r.extracted);
    expect(again.extracted).toBe(3 - r.extracted!);
    expect((await op({ op: 'get', root, name: 'test/abort:1' })).result.diffIDs).toEqual(
      img.diffIds,
    );
    expect(listDir(join(root, 'tmp'))).toEqual([]);
  });

  it('lets two pulls of one image run at once: one extraction per layer, one image', async () => {
    const img = await build('twice', [
      [{ name: 'a', random: 2 * 1024 * 1024 }],
      [{ name: 'b', content: 'b' }],
      [{ name: 'c', content: 'c' }],
    ]);
    const root = join(T, 'twice');
    const spec = {
      op: 'pull',
      root,
      dir: join(T, 'img', 'twice'),
      name: 'test/twice:1',
      delayMs: 1,
    };
    const [a, b] = await Promise.all([op(spec), op(spec)]);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(a.result.manifestDigest).toBe(b.result.manifestDigest);
    // Each layer was extracted by exactly one of them; the other found it done.
    expect(a.extracted! + b.extracted!).toBe(3);
    expect(a.existed! + b.existed!).toBe(3);
    expect(listDir(join(root, 'layers', 'sha256'))).toEqual(
      img.diffIds.map((d) => d.slice(7)).sort(),
    );
    expect(listDir(join(root, 'tmp'))).toEqual([]);
    const list = (await op({ op: 'list', root })).result;
    expect(list).toHaveLength(1);
    expect(list[0].names).toEqual(['test/twice:1']);
    checkConsistent(root);
  });

  it('records the id mapping and refuses to pull under another one', async () => {
    await build('map', [[{ name: 'f', content: 'f' }]]);
    const root = join(T, 'map');
    const spec = { op: 'pull', root, dir: join(T, 'img', 'map'), name: 'test/map:1' };
    expect((await op(spec)).error).toBeUndefined();
    const file = join(root, 'idmap.json');
    const recorded = JSON.parse(readFileSync(file, 'utf8'));
    expect(recorded.uidMap).toContainEqual({
      containerId: 0,
      hostId: hostUid(0),
      count: expect.any(Number),
    });
    // As if /etc/subuid had given the user another range since.
    recorded.uidMap[0].hostId += 1;
    writeFileSync(file, JSON.stringify(recorded));
    const r = await op(spec);
    expect(r.error?.code).toBe('ERR_IDMAP_CHANGED');
    expect(r.error?.message).toMatch(
      /^the store .* was filled under the id mapping .*: remove the store's images \(or the store\) and pull again$/,
    );
  });

  it('removes images and collects the blobs and layers no image uses', async () => {
    const shared = [{ name: 'shared', content: 'base' }];
    const a = await build('rm-a', [shared, [{ name: 'a', content: 'a' }]]);
    const b = await build('rm-b', [shared, [{ name: 'b', content: 'b' }]]);
    const root = join(T, 'rm');
    for (const [dir, name] of <Array<[string, string]>>[
      ['rm-a', 'test/a:1'],
      ['rm-b', 'test/b:1'],
      ['rm-b', 'test/b:alias'],
    ]) {
      expect(
        (await op({ op: 'pull', root, dir: join(T, 'img', dir), name })).error,
      ).toBeUndefined();
    }
    expect(listDir(join(root, 'layers', 'sha256'))).toHaveLength(3);
    // A second name is only untagged.
    const un = await op({ op: 'remove', root, name: 'test/b:alias' });
    expect(un.result).toEqual({
      untagged: ['test/b:alias'],
      deleted: [],
      removedBlobs: 0,
      removedLayers: 0,
    });
    const ra = await op({ op: 'remove', root, name: 'test/a:1' });
    expect(ra.result).toMatchObject({
      deleted: [a.manifestDigest],
      removedLayers: 1,
      removedBlobs: 3,
    });
    expect(listDir(join(root, 'layers', 'sha256'))).toEqual(
      [b.diffIds[0]!.slice(7), b.diffIds[1]!.slice(7)].sort(),
    );
    checkConsistent(root);
    const rb = await op({ op: 'remove', root, name: b.configDigest.slice(7, 19) });
    expect(rb.result).toMatchObject({
      deleted: [b.manifestDigest],
      removedLayers: 2,
      removedBlobs: 4,
    });
    expect(listDir(join(root, 'layers', 'sha256'))).toEqual([]);
    expect(listDir(join(root, 'blobs', 'sha256'))).toEqual([]);
    const missing = await op({ op: 'remove', root, name: 'test/a:1' });
    expect(missing.error).toMatchObject({
      code: 'ERR_IMAGE_NOT_FOUND',
      message: 'image test/a:1 is not in the store',
    });
  });
});
