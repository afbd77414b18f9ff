import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildFeatureImage,
  buildTestImages,
  freePort,
  removeTree,
  runAs,
  skopeoCopy,
  startRegistry,
  type TestImages,
  type TestRegistry,
  userTempDir,
} from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeftovers, hostEnv, rootless, snapshot, user } from './helpers.js';

/*
 * `rootless pull/images/rmi/run IMAGE` against a real registry (Debian's docker-registry on
 * 127.0.0.1, started here), with images built by testkit (umoci from busybox-static) and pushed
 * or written as archives with skopeo. Each test has a store of its own ($XDG_DATA_HOME).
 */

let dir: string;
let images: TestImages;
let registry: TestRegistry;
let busybox: string;
let features: string;
let bigSize: number;
let digest: string;
let featuresTag: string;

beforeAll(async () => {
  dir = userTempDir(user, 'rootless-images-');
  images = await buildTestImages(user, dir);
  const f = await buildFeatureImage(user, images);
  bigSize = f.bigSize;
  featuresTag = f.tag;
  registry = await startRegistry(user);
  busybox = `${registry.host}/test/busybox:1`;
  features = `${registry.host}/test/features:1`;
  await skopeoCopy(user, `oci:${images.layout}:${images.tag}`, `docker://${busybox}`);
  await skopeoCopy(user, `oci:${images.layout}:${f.tag}`, `docker://${features}`);
  await skopeoCopy(user, `oci:${images.layout}:${images.tag}`, `oci-archive:${dir}/bb.oci.tar`);
  await skopeoCopy(
    user,
    `oci:${images.layout}:${images.tag}`,
    `docker-archive:${dir}/bb.docker.tar:test/busybox:1`,
  );
  const inspect = await runAs(user, 'skopeo', [
    'inspect',
    '--tls-verify=false',
    '--format',
    '{{.Digest}}',
    `docker://${busybox}`,
  ]);
  digest = inspect.stdout.trim();
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
}, 300_000);

afterAll(async () => {
  await registry?.stop();
  if (dir) removeTree(dir);
});

let n = 0;
/** A fresh store for one test. */
function newStore(): { data: string; root: string; env: Record<string, string> } {
  const data = join(dir, `data-${n++}`);
  return { data, root: join(data, 'rootless-ts'), env: { ...hostEnv(), XDG_DATA_HOME: data } };
}

function entries(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** The store has no container directory, no temporary file. */
function expectStoreClean(root: string) {
  expect(entries(join(root, 'containers')), 'container directories').toEqual([]);
  expect(entries(join(root, 'tmp')), 'temporary files').toEqual([]);
}

/** A listing with a hash of every file of the layers, as the test user reads them. */
async function layerDigest(root: string): Promise<string> {
  const r = await runAs(user, 'sh', [
    '-c',
    'cd "$0" && find layers -printf "%p %y %m %U:%G %s %i\\n" | sort && find layers -type f -readable -exec sha256sum {} + | sort',
    root,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('rootless run IMAGE from a registry', () => {
  it('pulls by tag, then applies Entrypoint, Cmd, Env, WorkingDir and User; whiteouts honoured', async () => {
    const s = newStore();
    const before = snapshot();
    const pull = await rootless(['pull', busybox], { env: s.env });
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(pull.stderr).toContain(`Trying to pull ${busybox}...`);
    expect(pull.stderr).toMatch(/Copying blob [0-9a-f]{12} done/);

    const cmd = await rootless(['run', busybox], { env: s.env });
    expect(cmd.stderr).toBe('');
    expect(cmd.stdout).toBe('hello from the image\n');
    expect(cmd.code).toBe(0);

    const r = await rootless(
      [
        'run',
        busybox,
        'id -u; id -g; pwd; echo $GREETING; ls /; cat /hello.txt; test -e /gone || echo gone',
      ],
      { env: s.env },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['1000', '1000', '/work', 'hello']);
    expect(r.stdout).toContain('hello from the second layer\n');
    expect(r.stdout).toMatch(/\ngone\n$/);
    expect(r.code).toBe(0);

    const images = await rootless(['images'], { env: s.env });
    expect(images.code).toBe(0);
    const lines = images.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(lines[1]).toMatch(new RegExp(`^${registry.host}/test/busybox\\s+1\\s+[0-9a-f]{12}\\s`));
    expectStoreClean(s.root);
    await expectNoLeftovers(before);
  });

  it('--entrypoint, -e, -w and -u override the config, as in podman', async () => {
    const s = newStore();
    const r = await rootless(
      [
        'run',
        '--entrypoint',
        '/bin/sh',
        '-e',
        'GREETING=bye',
        '-w',
        '/tmp/new',
        '-u',
        '0:0',
        busybox,
        '-c',
        'echo $GREETING; pwd; id -u',
      ],
      { env: s.env },
    );
    expect(r.stdout).toBe('bye\n/tmp/new\n0\n');
    expect(r.code).toBe(0);
    // Pulled because it was missing: podman's lines on stderr, nothing else.
    expect(r.stderr.split('\n').filter((l) => l.startsWith('rootless:'))).toEqual([]);
    expectStoreClean(s.root);
  });

  it('runs by digest', async () => {
    const s = newStore();
    const ref = `${registry.host}/test/busybox@${digest}`;
    const r = await rootless(['run', ref, 'echo by digest'], { env: s.env });
    expect(r.stdout).toBe('by digest\n');
    expect(r.code).toBe(0);
    const images = await rootless(['images'], { env: s.env });
    expect(images.stdout).toMatch(/test\/busybox\s+<none>/);
  });

  it('keeps hard links, symlinks, setuid bits, opaque directories and a 51 MiB file', async () => {
    const s = newStore();
    const r = await rootless(
      [
        'run',
        features,
        '/bin/sh',
        '-c',
        'cd /data; stat -c "%i" a a-link | uniq | wc -l; readlink sym; cat sym; stat -c "%a %u" suid; stat -c %s big; ls /opq',
      ],
      { env: s.env },
    );
    expect(r.stderr.split('\n').filter((l) => l.startsWith('rootless:'))).toEqual([]);
    expect(r.stdout).toBe(`1\na\nlinked\n4755 0\n${bigSize}\nnew\n`);
    expect(r.code).toBe(0);
  });

  it('leaves the read-only layers untouched after a container writes, deletes and chmods', async () => {
    const s = newStore();
    expect((await rootless(['pull', busybox], { env: s.env })).code).toBe(0);
    const before = await layerDigest(s.root);
    const r = await rootless(
      [
        'run',
        '-u',
        '0',
        busybox,
        'rm /etc/motd /hello.txt; echo changed > /etc/passwd; chmod 700 /bin/busybox; mkdir /new; echo x > /work/y; test -e /etc/motd || echo removed',
      ],
      { env: s.env },
    );
    expect(r.stdout).toBe('removed\n');
    expect(r.code).toBe(0);
    expect(await layerDigest(s.root)).toBe(before);
    // The next container sees the image as it was.
    const again = await rootless(['run', busybox, 'cat /etc/motd; test -e /new || echo fresh'], {
      env: s.env,
    });
    expect(again.stdout).toBe('from the first layer\nfresh\n');
    expectStoreClean(s.root);
  });

  it('runs 10 containers of one image at once, each with its own writable layer', async () => {
    const s = newStore();
    expect((await rootless(['pull', busybox], { env: s.env })).code).toBe(0);
    const before = snapshot();
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        rootless(['run', '-u', '0', busybox, `test -e /mine || echo ${i} > /mine; cat /mine`], {
          env: s.env,
          timeoutMs: 180_000,
        }),
      ),
    );
    runs.forEach((r, i) => {
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${i}\n`);
      expect(r.code).toBe(0);
    });
    expectStoreClean(s.root);
    await expectNoLeftovers(before);
  }, 240_000);
});

describe('rootless run from files: oci:, oci-archive:, docker-archive:', () => {
  for (const [label, spec] of [
    ['oci:', () => `oci:${images.layout}:${images.tag}`],
    ['oci-archive:', () => `oci-archive:${dir}/bb.oci.tar`],
    ['docker-archive:', () => `docker-archive:${dir}/bb.docker.tar`],
  ] as const) {
    it(`${label} applies the config and honours the whiteout`, async () => {
      const s = newStore();
      const r = await rootless(['run', spec(), 'echo $GREETING; pwd; cat /hello.txt; ls /gone'], {
        env: s.env,
      });
      expect(r.stdout).toBe('hello\n/work\nhello from the second layer\n');
      expect(r.stderr).toMatch(/ls: \/gone: No such file or directory\n$/);
      expect(r.code).toBe(1);
      expectStoreClean(s.root);
    });
  }
});

describe('failures: one line, 125, nothing left', () => {
  async function expectFails(args: string[], pattern: RegExp) {
    const s = newStore();
    const before = snapshot();
    const r = await rootless(args, { env: s.env });
    const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('Trying to pull'));
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^rootless: /);
    expect(lines[0]).toMatch(pattern);
    expect(r.code).toBe(125);
    expect(r.stdout).toBe('');
    expectStoreClean(s.root);
    expect(entries(join(s.root, 'blobs', 'sha256')), 'blobs').toEqual([]);
    expect(entries(join(s.root, 'layers', 'sha256')), 'layers').toEqual([]);
    await expectNoLeftovers(before);
  }

  it('a bad reference', async () => {
    await expectFails(['pull', 'Bad//Name'], /Bad\/\/Name/);
  });

  it('an unreachable registry', async () => {
    const port = await freePort();
    await expectFails(['run', `127.0.0.1:${port}/test/busybox:1`, 'true'], /127\.0\.0\.1/);
  });

  it('an image the registry does not have', async () => {
    await expectFails(['run', `${registry.host}/test/missing:1`, 'true'], /missing/);
  });

  it('a missing oci: layout', async () => {
    await expectFails(['run', `oci:${dir}/nowhere:x`, 'true'], /nowhere/);
  });

  it('an image without a command', async () => {
    const s = newStore();
    const r = await rootless(['run', '--entrypoint', '', busybox], { env: s.env });
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^rootless: .*no Entrypoint or Cmd/);
    expect(r.code).toBe(125);
    expectStoreClean(s.root);
  });
});

describe('rootless images and rmi', () => {
  it('lists, untags and removes; an unknown name fails with one line and 125', async () => {
    const s = newStore();
    expect((await rootless(['pull', busybox], { env: s.env })).code).toBe(0);
    const rmi = await rootless(['rmi', busybox], { env: s.env });
    expect(rmi.stderr).toBe('');
    expect(rmi.stdout).toMatch(/^Untagged: .*test\/busybox:1\nDeleted: [0-9a-f]{64}\n$/);
    expect(rmi.code).toBe(0);
    const list = await rootless(['images'], { env: s.env });
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    expect(entries(join(s.root, 'layers', 'sha256'))).toEqual([]);
    const again = await rootless(['rmi', busybox], { env: s.env });
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/^rootless: /);
    expect(again.code).toBe(125);
  });
});

describe('rootless run oci: notices a changed layout', () => {
  it('runs the stored image while the layout is unchanged, and the new one once it changed', async () => {
    const s = newStore();
    const layout = join(s.data, 'layout');
    await runAs(user, 'mkdir', ['-p', s.data]);
    await skopeoCopy(user, `oci:${images.layout}:${images.tag}`, `oci:${layout}:x`);
    const first = await rootless(['run', `oci:${layout}:x`, 'cat /hello.txt'], { env: s.env });
    expect(first.stdout).toBe('hello from the second layer\n');
    expect(first.stderr).toMatch(/^Trying to pull/);
    const same = await rootless(['run', `oci:${layout}:x`, 'cat /hello.txt'], { env: s.env });
    expect(same.stdout).toBe('hello from the second layer\n');
    expect(same.stderr).toBe('');
    // The same tag, now another image: the layout's index changed.
    await skopeoCopy(user, `oci:${images.layout}:${featuresTag}`, `oci:${layout}:x`);
    const changed = await rootless(['run', `oci:${layout}:x`, '/bin/busybox', 'cat', '/data/a'], {
      env: s.env,
    });
    expect(changed.stdout).toBe('linked\n');
    expect(changed.stderr).toMatch(/^Trying to pull/);
    expect(changed.code).toBe(0);
    expectStoreClean(s.root);
  });
});

describe('rootless rootfs busybox --image', () => {
  it('writes an OCI layout that runs without a download; host commands still run on host files', async () => {
    const s = newStore();
    const root = join(s.data, 'bb');
    const made = await rootless(['rootfs', 'busybox', root, '--image', `oci:${s.data}/layout:bb`], {
      env: s.env,
    });
    expect(made.code, made.stderr).toBe(0);
    const r = await rootless(
      ['run', `oci:${s.data}/layout:bb`, 'sh', '-c', 'id -u; stat -c "%U" /home/alpine; pwd'],
      { env: s.env },
    );
    expect(r.stdout).toBe('0\nalpine\n/\n');
    expect(r.code).toBe(0);
    const host = await rootless(['run', 'id', '-u'], { env: s.env });
    expect(host.stdout).toBe('1100\n');
    expect(host.stderr).toBe('');
  });
});

describe('the writable layer goes whatever ends the container', () => {
  /** Starts `rootless run -u 0 IMAGE 'SCRIPT; echo ready; sleep 100'`, sends `signal` once ready. */
  async function signalled(env: Record<string, string>, signal: NodeJS.Signals, script = 'true') {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./helpers.js');
    const child = spawn(
      process.execPath,
      ['--single-threaded', CLI, 'run', '-u', '0', busybox, `${script}; echo ready; sleep 100`],
      {
        uid: user.uid,
        gid: user.gid,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('ready')) child.kill(signal);
    });
    return new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  }

  it('SIGTERM to rootless: 143, the container and its layer gone', async () => {
    const s = newStore();
    expect((await rootless(['pull', busybox], { env: s.env })).code).toBe(0);
    const before = snapshot();
    expect(await signalled(s.env, 'SIGTERM')).toBe(143);
    expectStoreClean(s.root);
    await expectNoLeftovers(before);
  });

  it('SIGKILL to rootless: the next run removes the layer it left', async () => {
    const s = newStore();
    expect((await rootless(['pull', busybox], { env: s.env })).code).toBe(0);
    const before = snapshot();
    await signalled(s.env, 'SIGKILL');
    await expectNoLeftovers(before);
    expect(entries(join(s.root, 'containers'))).toHaveLength(1);
    const next = await rootless(['run', busybox, 'true'], { env: s.env });
    expect(next.code).toBe(0);
    expectStoreClean(s.root);
  });

  /** Files and directories of several mapped ids, one of them closed to everyone by its mode. */
  const MANY_OWNERS =
    'mkdir -p /d/e && touch /d/a /d/e/f && chown 1:2 /d/a && chown -R 1234:5678 /d/e && chmod 0 /d/e && chown 7:7 /d && echo x > /d/t && chown 65000:65000 /d/t';

  it('a layer holding files of several mapped ids goes; an untouched one too; / belongs to root inside', async () => {
    const s = newStore();
    expect((await rootless(['pull', busybox], { env: s.env })).code).toBe(0);
    const before = snapshot();
    const wrote = await rootless(
      ['run', '-u', '0', busybox, `${MANY_OWNERS} && stat -c '%u %g' / /d/e`],
      { env: s.env },
    );
    expect(wrote.stderr).toBe('');
    expect(wrote.stdout).toBe('0 0\n1234 5678\n');
    expect(wrote.code).toBe(0);
    expectStoreClean(s.root);
    const untouched = await rootless(['run', busybox, 'true'], { env: s.env });
    expect(untouched.code, untouched.stderr).toBe(0);
    expectStoreClean(s.root);
    await expectNoLeftovers(before);
  });

  it('SIGKILL to rootless after the container wrote files of several ids: the next run removes them', async () => {
    const s = newStore();
    expect((await rootless(['pull', busybox], { env: s.env })).code).toBe(0);
    const before = snapshot();
    await signalled(s.env, 'SIGKILL', MANY_OWNERS);
    await expectNoLeftovers(before);
    expect(entries(join(s.root, 'containers'))).toHaveLength(1);
    const next = await rootless(['run', busybox, 'true'], { env: s.env });
    expect(next.code, next.stderr).toBe(0);
    expectStoreClean(s.root);
  });

  it('Ctrl-C mid-pull: 130, no image recorded, no process; the next pull completes', async () => {
    const s = newStore();
    const before = snapshot();
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./helpers.js');
    const child = spawn(process.execPath, ['--single-threaded', CLI, 'pull', features], {
      uid: user.uid,
      gid: user.gid,
      env: s.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (/Copying blob [0-9a-f]{12}\n/.test(err)) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code, err).toBe(130);
    await expectNoLeftovers(before);
    const list = await rootless(['images'], { env: s.env });
    expect(list.stdout.trim().split('\n')).toHaveLength(1);
    const again = await rootless(['pull', features], { env: s.env });
    expect(again.code, again.stderr).toBe(0);
    expectStoreClean(s.root);
    const r = await rootless(['run', features, '/bin/busybox', 'cat', '/data/a'], { env: s.env });
    expect(r.stdout).toBe('linked\n');
  });

  it('-t gives the container a terminal of its own devpts, as with --root', async () => {
    const s = newStore();
    const r = await rootless(['run', '-t', '-u', '0', busybox, 'tty; test -t 0 && echo terminal'], {
      env: s.env,
    });
    expect(r.stdout.replace(/\r/g, '')).toBe('/dev/pts/0\nterminal\n');
    expect(r.code).toBe(0);
    expectStoreClean(s.root);
  });

  it('volumes work as with --root', async () => {
    const s = newStore();
    const shared = join(s.data, 'shared');
    await runAs(user, 'mkdir', ['-p', shared]);
    const r = await rootless(
      [
        'run',
        '-u',
        '0',
        '-v',
        `${shared}:/shared:rw`,
        busybox,
        'echo in > /shared/f; cat /shared/f',
      ],
      {
        env: s.env,
      },
    );
    expect(r.stdout).toBe('in\n');
    expect(r.code).toBe(0);
    const host = await runAs(user, 'cat', [join(shared, 'f')]);
    expect(host.stdout).toBe('in\n');
  });
});
