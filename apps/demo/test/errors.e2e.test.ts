import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAs } from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  busyboxRoot,
  CLI,
  expectNoLeftovers,
  expectOneLine,
  hostEnv,
  rootless,
  snapshot,
  treeListing,
  user,
} from './helpers.js';

let bb: Awaited<ReturnType<typeof busyboxRoot>>;
beforeAll(async () => {
  bb = await busyboxRoot();
  mkdirSync(join(bb.dir, 'data'));
  writeFileSync(join(bb.dir, 'data', 'f'), 'x');
});
afterAll(() => bb?.cleanup());

/** Each bad input: status, its one clear line, and nothing left behind (processes, mounts, files). */
async function expectFailure(args: string[], status: number, line: RegExp) {
  const before = snapshot(user, bb.dir);
  const r = await rootless(args, { cwd: bb.dir });
  expect(r.stdout).toBe('');
  expectOneLine(r.stderr, line);
  expect(r.code).toBe(status);
  await expectNoLeftovers(before, user, bb.dir);
}

describe('bad input: status 125, one clear line, nothing left behind', () => {
  it('unknown option', async () => {
    await expectFailure(
      ['run', '--bogus', '--', 'true'],
      125,
      /^rootless: unknown option '--bogus'$/,
    );
  });

  it('unknown command', async () => {
    await expectFailure(['frobnicate'], 125, /^rootless: unknown command 'frobnicate'$/);
  });

  it('no command', async () => {
    await expectFailure(
      ['run', '-r', 'bb'],
      125,
      /^rootless: missing required argument 'command'$/,
    );
  });

  it('missing --root directory', async () => {
    await expectFailure(
      ['run', '--root', './nope', '--', 'true'],
      125,
      /^rootless: --root: \S+\/nope does not exist$/,
    );
  });

  it('--root that is a file', async () => {
    await expectFailure(
      ['run', '--root', './data/f', '--', 'true'],
      125,
      /^rootless: --root: \S+ is not a directory$/,
    );
  });

  it('--volume without --root', async () => {
    await expectFailure(
      ['run', '-v', './data:/data', '--', 'true'],
      125,
      /^rootless: --volume \.\/data:\/data: needs --root/,
    );
  });

  it('volume source missing', async () => {
    await expectFailure(
      ['run', '-r', 'bb', '-v', './missing:/data', '--', 'true'],
      125,
      /^rootless: --volume \S+\/missing:\/data:ro: volume source \S+\/missing does not exist$/,
    );
  });

  it('malformed volume spec', async () => {
    await expectFailure(
      ['run', '-r', 'bb', '-v', './data', '--', 'true'],
      125,
      /^rootless: --volume \.\/data: expected HOST:CONTAINER\[:ro\|rw\]$/,
    );
    await expectFailure(
      ['run', '-r', 'bb', '-v', './data:/d:rx', '--', 'true'],
      125,
      /^rootless: --volume \.\/data:\/d:rx: unknown mode "rx"/,
    );
    await expectFailure(
      ['run', '-r', 'bb', '-v', 'data:/d', '--', 'true'],
      125,
      /^rootless: --volume data:\/d: "data" would be a named volume \(as in podman\), which rootless does not have: for the directory, write \.\/data$/,
    );
  });

  it('unknown --user, unknown group, unmapped id', async () => {
    await expectFailure(
      ['run', '-r', 'bb', '-u', 'ghost', '--', 'true'],
      125,
      /^rootless: --user: no user "ghost" in \S+\/bb\/etc\/passwd$/,
    );
    await expectFailure(
      ['run', '-r', 'bb', '-u', 'alpine:ghosts', '--', 'true'],
      125,
      /^rootless: --user: no group "ghosts" in \S+\/bb\/etc\/group$/,
    );
    await expectFailure(
      ['run', '-r', 'bb', '-u', '99999', '--', 'true'],
      125,
      /^rootless: --user: uid 99999 is not mapped in the container/,
    );
  });

  it('bad --map-uid, --hostname, --env', async () => {
    await expectFailure(
      ['run', '--map-uid', 'x', '--', 'true'],
      125,
      /^rootless: --map-uid: "x" is not a number$/,
    );
    await expectFailure(
      ['run', '--hostname', 'no_way', '--', 'true'],
      125,
      /^rootless: --hostname: "no_way" is not a valid host name$/,
    );
    await expectFailure(
      ['run', '-e', '=v', '--', 'true'],
      125,
      /^rootless: --env: "=v" is not NAME=VALUE/,
    );
  });

  it('a mount that fails inside (a directory over a file) is reported by the setup step', async () => {
    await expectFailure(
      ['run', '-r', 'bb', '-v', './data:/etc/passwd', '--', 'true'],
      125,
      /^rootless: setting up the container: .*\/etc\/passwd/,
    );
  });

  it('command not found in the root: 127, as shells do', async () => {
    await expectFailure(
      ['run', '-r', 'bb', '--', 'no-such-command'],
      127,
      /^rootless: no-such-command: command not found$/,
    );
  });

  it('a file that cannot be executed: 126', async () => {
    await expectFailure(
      ['run', '-r', 'bb', '--', '/etc/passwd'],
      126,
      /^rootless: \/etc\/passwd: permission denied$/,
    );
  });

  it('a command that cannot be run leaves no mount point in the root (127, 126)', async () => {
    // Targets the busybox root lacks: the plan creates them as root inside (mapped to a
    // subordinate id: the user could not even delete them from the host). The directories they
    // were created in get a new mtime: the listing leaves mtimes out.
    rmSync(join(bb.root, 'etc', 'hostname'));
    const listing = () => treeListing(bb.dir, { mtimes: false });
    try {
      const create = ['-r', 'bb', '-v', './data:/new/vol', '-w', '/new/work', '--hostname', 'box'];
      const cases: Array<[string[], number, RegExp]> = [
        [['no-such-command'], 127, /^rootless: no-such-command: command not found$/],
        [['/etc/passwd'], 126, /^rootless: \/etc\/passwd: permission denied$/],
        [['/home'], 126, /^rootless: \/home: permission denied$/],
      ];
      for (const [command, status, line] of cases) {
        const before = listing();
        const r = await rootless(['run', ...create, '--', ...command], { cwd: bb.dir });
        expectOneLine(r.stderr, line);
        expect(r.code).toBe(status);
        expect(listing(), command[0]).toEqual(before);
      }
      const r = await rootless(['run', ...create, '-e', 'PATH=/etc', '--', 'passwd'], {
        cwd: bb.dir,
      });
      expectOneLine(r.stderr, /^rootless: passwd: permission denied$/);
      expect(r.code).toBe(126);
    } finally {
      writeFileSync(join(bb.root, 'etc', 'hostname'), 'busybox\n');
    }
  });
});

describe('a failure after the setup hooks: one line, the image as it was', () => {
  /**
   * Runs as uid 1200 with a plan that creates mount points in the image (a volume target,
   * /etc/hostname), after `prepare`; expects the line and status, and the image's tree as it
   * was: the undo removed them, as root inside, after the switch to uid 1200 was undone.
   * Directories that had an entry made and removed get a new mtime: mtimes are left out.
   */
  async function expectImageKept(
    prepare: () => () => void,
    args: string[],
    status: number,
    line: RegExp,
  ) {
    rmSync(join(bb.root, 'etc', 'hostname'));
    const restore = prepare();
    const listing = () => treeListing(bb.dir, { mtimes: false });
    try {
      const before = listing();
      const create = ['-r', 'bb', '-v', './data:/new/vol', '--hostname', 'box', '-u', '1200'];
      const r = await rootless(['run', ...create, ...args], { cwd: bb.dir });
      expect(r.stdout).toBe('');
      expectOneLine(r.stderr, line);
      expect(r.code).toBe(status);
      expect(listing()).toEqual(before);
    } finally {
      restore();
      writeFileSync(join(bb.root, 'etc', 'hostname'), 'busybox\n');
    }
  }

  it('a working directory the final user may not enter (-u 1200 -w /root, /root mode 700): 125', async () => {
    // /root belongs to the invoking user, uid 1100 inside: 1200 may not enter it once mode 700.
    await expectImageKept(
      () => {
        chmodSync(join(bb.root, 'root'), 0o700);
        return () => chmodSync(join(bb.root, 'root'), 0o755);
      },
      ['-w', '/root', '--', 'true'],
      125,
      /^rootless: --workdir: EACCES: permission denied, chdir '\/root'$/,
    );
  });

  it('a program on PATH the final user may not execute: 126', async () => {
    const mine = join(bb.root, 'bin', 'mine');
    await expectImageKept(
      () => {
        writeFileSync(mine, '#!/bin/sh\necho mine\n', { mode: 0o700 });
        return () => rmSync(mine);
      },
      ['--', 'mine'],
      126,
      /^rootless: mine: permission denied$/,
    );
  });
});

describe('no newuidmap on PATH', () => {
  it('falls back to the single mapping with one warning line, and still runs', async () => {
    const before = snapshot();
    const r = await runAs(
      user,
      process.execPath,
      ['--single-threaded', CLI, 'run', '--', 'id', '-u'],
      {
        env: { ...hostEnv(), PATH: '/nonexistent' },
      },
    );
    expect(r.stdout).toBe('0\n');
    expect(r.stderr).toBe(
      'rootless: warning: newuidmap not found on PATH: falling back to a single id mapping (you are root inside, no other id exists)\n',
    );
    expect(r.code).toBe(0);
    await expectNoLeftovers(before);
  });
});

describe('--help and --version', () => {
  it('prints help for every command and the version, status 0', async () => {
    for (const args of [
      ['--help'],
      ['run', '--help'],
      ['caps', '--help'],
      ['rootfs', '--help'],
      ['rootfs', 'busybox', '--help'],
    ]) {
      const r = await rootless(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: rootless/);
    }
    const run = await rootless(['run', '--help']);
    for (const opt of [
      '--root',
      '--hostname',
      '--user',
      '--map-uid',
      '--map-gid',
      '--volume',
      '--env',
      '--workdir',
      '--tty',
    ]) {
      expect(run.stdout).toContain(opt);
    }
    const v = await rootless(['--version']);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('rootless rootfs busybox', () => {
  it('refuses a directory that is not empty, and leaves it as it was', async () => {
    await expectFailure(
      ['rootfs', 'busybox', './data'],
      125,
      /^rootless: rootfs busybox: \S+\/data exists and is not empty$/,
    );
  });
});
