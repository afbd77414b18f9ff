import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { noSubidUser, removeTree, userTempDir } from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostCodename } from '../src/apt-sources.js';
import { expectNoLeftovers, expectOneLine, rootless, snapshot, user } from './helpers.js';

// `rootless rootfs debian` when it cannot install: one line, 125, nothing left behind. No
// download: the mirrors here are on this machine (a local HTTP server, a file:// tree).
const suite = hostCodename()!;
const dir = userTempDir(user, 'rootless-demo-rootfs-');
chmodSync(dir, 0o755); // root inside (a subordinate id) reads the file:// mirror in there
let server: Server;
let port: number;
beforeAll(async () => {
  // Answers 404 to everything: a web server that is not a Debian mirror.
  server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  removeTree(dir);
});

describe('rootless rootfs debian refuses before creating anything', () => {
  it('for a user without subordinate ids: one line naming why, 125, no directory', async () => {
    const nosub = noSubidUser();
    const home = userTempDir(nosub, 'rootless-demo-nosub-');
    try {
      const target = join(home, 'debian');
      const before = snapshot(nosub, home);
      const r = await rootless(['rootfs', 'debian', target], { as: nosub });
      expectOneLine(
        r.stderr,
        new RegExp(
          `^rootless: rootfs debian: ${nosub.name} has no subordinate uids in /etc/subuid: installing a distribution needs subordinate ids`,
        ),
      );
      expect(r.code).toBe(125);
      expect(existsSync(target)).toBe(false);
      await expectNoLeftovers(before, nosub, home);
    } finally {
      removeTree(home);
    }
  });

  it.each([
    ['a server that is not a mirror', () => `http://127.0.0.1:${port}/debian`, /HTTP 404/],
    ['a mirror path that does not exist', () => 'file:///nonexistent/debian', /no such file/],
  ])('for a bad --mirror (%s): one line, 125, no directory', async (_what, mirror, why) => {
    const target = join(dir, 'bad-mirror');
    const before = snapshot(user, dir);
    const r = await rootless(['rootfs', 'debian', target, '--mirror', mirror()]);
    expectOneLine(r.stderr, /^rootless: --mirror: \S+: no Debian \S+ there \(\S+\/Release: /);
    expect(r.stderr).toMatch(why);
    expect(r.code).toBe(125);
    expect(existsSync(target)).toBe(false);
    await expectNoLeftovers(before, user, dir);
  });

  it('for a --mirror that is not http(s):// or file://', async () => {
    const r = await rootless(['rootfs', 'debian', join(dir, 'x'), '--mirror', 'ftp://127.0.0.1/']);
    expectOneLine(r.stderr, /^rootless: --mirror: ftp:\/\/127\.0\.0\.1\/ is not an http:\/\//);
    expect(r.code).toBe(125);
  });
});

describe('rootless rootfs debian when debootstrap fails halfway', () => {
  it('removes, as root inside, what debootstrap made (files of subordinate ids), then DIR', async () => {
    // A mirror whose Release exists but has no signature: debootstrap has created its working
    // files in DIR, owned by root inside, when it gives up.
    const mirror = join(dir, 'mirror');
    mkdirSync(join(mirror, 'dists', suite), { recursive: true });
    writeFileSync(join(mirror, 'dists', suite, 'Release'), 'not a Release file\n');
    chmodSync(mirror, 0o755);
    const target = join(dir, 'half');
    const before = snapshot(user, dir);
    const r = await rootless(['rootfs', 'debian', target, '--mirror', `file://${mirror}`]);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `rootless: installing Debian ${suite} from file://${mirror} into ${target}`,
    );
    expect(r.stdout + r.stderr).toMatch(/^E: /m);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^rootless: rootfs debian: debootstrap failed \\(status \\d+\\); ${target} removed$`,
      ),
    );
    expect(r.code).toBe(125);
    expect(existsSync(target)).toBe(false);
    await expectNoLeftovers(before, user, dir);
  });

  it('empties a DIR that existed (empty) before, and keeps it', async () => {
    const mirror = join(dir, 'mirror');
    const target = join(dir, 'kept');
    mkdirSync(target);
    chmodSync(target, 0o755);
    chownSync(target, user.uid, user.gid);
    const r = await rootless(['rootfs', 'debian', target, '--mirror', `file://${mirror}`]);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/debootstrap failed .*; \S+ emptied$/);
    expect(r.code).toBe(125);
    expect(readdirSync(target)).toEqual([]);
  });
});
