import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { processesOf } from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  busyboxRoot,
  CLI,
  expectNoLeftovers,
  expectOneLine,
  hostEnv,
  rootless,
  snapshot,
  user,
} from './helpers.js';

let bb: Awaited<ReturnType<typeof busyboxRoot>>;
beforeAll(async () => {
  bb = await busyboxRoot();
});
afterAll(() => bb?.cleanup());

/** The interfaces the container sees, from /proc/net/dev. */
const LINKS = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' '; echo";

describe('rootless run --network', () => {
  it('defaults to a private network (pasta here), never the host network', async () => {
    const r = await rootless([
      'run',
      '-r',
      bb.root,
      '--',
      'sh',
      '-c',
      `${LINKS}; head -1 /etc/resolv.conf`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('eth0 lo \nnameserver 169.254.1.1\n');
  });

  it('none: only lo; slirp4netns: tap0 and its DNS; host: the host interfaces', async () => {
    const none = await rootless(['run', '--network', 'none', '--', 'sh', '-c', LINKS]);
    expect(none.stdout).toBe('lo \n');
    const slirp = await rootless([
      'run',
      '-r',
      bb.root,
      '--net',
      'slirp4netns',
      '--hostname',
      'box',
      '--add-host',
      'db:10.0.0.5',
      '--',
      'sh',
      '-c',
      `${LINKS}; head -1 /etc/resolv.conf; grep -E 'db|box' /etc/hosts`,
    ]);
    expect(slirp.stdout).toBe('lo tap0 \nnameserver 10.0.2.3\n10.0.0.5\tdb\n10.0.2.100\tbox\n');
    const host = await rootless(['run', '--network', 'host', '--', 'sh', '-c', LINKS]);
    // The host's own interfaces (this machine has ifb0 and ifb1 besides eth0 and lo).
    expect(host.stdout.trim().split(' ').length).toBeGreaterThanOrEqual(2);
    expect(host.stdout).toContain('eth0');
  });

  it('-p publishes busybox httpd to the host', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    // The container answers one request and exits: nc -l inside, the host connects.
    const served = rootless([
      'run',
      '-r',
      bb.root,
      '-p',
      `127.0.0.1:${port}:80`,
      '--',
      'sh',
      '-c',
      "printf 'HTTP/1.0 200 OK\\r\\n\\r\\nfrom the container\\n' | nc -l -p 80 >/dev/null",
    ]);
    let body = '';
    for (let i = 0; i < 200 && !body; i++) {
      body = await new Promise<string>((resolve) => {
        const c = connect(port, '127.0.0.1');
        let data = '';
        c.setEncoding('utf8');
        c.on('data', (d: string) => {
          data += d;
        });
        c.on('error', () => resolve(''));
        c.on('end', () => resolve(data));
        c.end('GET / HTTP/1.0\r\n\r\n');
      });
      if (!body) await new Promise((r) => setTimeout(r, 50));
    }
    const r = await served;
    expect(body, r.stderr).toContain('from the container');
  });
});

describe('bad --network and -p: 125, one line, nothing left', () => {
  it.each([
    [['--network', 'bridge'], /^rootless: --network: bridge: unknown network mode/],
    [['-p', '70000:80'], /^rootless: -p 70000:80: host port 70000 is out of range 1-65535$/],
    [
      ['--network', 'host', '-p', '80'],
      /^rootless: -p: ports cannot be published with --network host$/,
    ],
    [
      ['--dns', '192.0.2.53'],
      /^rootless: --dns 192.0.2.53: needs --root \(without it the container sees the host's files\)$/,
    ],
  ])('%j', async (args, line) => {
    const before = snapshot(user);
    const r = await rootless(['run', ...args, '--', 'true']);
    expect(r.code).toBe(125);
    expectOneLine(r.stderr, line);
    await expectNoLeftovers(before, user);
  });

  it.each(['pasta', 'slirp4netns'])('%s: a port already taken', async (mode) => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const a = taken.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    try {
      const before = snapshot(user);
      const r = await rootless([
        'run',
        '-r',
        bb.root,
        '--network',
        mode,
        '-p',
        `127.0.0.1:${port}:80`,
        '--',
        'true',
      ]);
      expect(r.code).toBe(125);
      expectOneLine(r.stderr, new RegExp(`^rootless: network: ${mode}: .*${port}`));
      await expectNoLeftovers(before, user);
    } finally {
      taken.close();
    }
  });
});

describe('the helper goes with rootless', () => {
  it.each(['pasta', 'slirp4netns'])(
    '%s: nothing is left after rootless is SIGKILLed',
    async (mode) => {
      const before = snapshot(user);
      const asRoot = process.getuid!() === 0;
      const child = spawn(
        process.execPath,
        ['--single-threaded', CLI, 'run', '--network', mode, '--', 'sleep', '60'],
        {
          stdio: 'ignore',
          env: hostEnv(),
          cwd: '/',
          ...(asRoot ? { uid: user.uid, gid: user.gid } : {}),
        },
      );
      const closed = new Promise((r) => child.once('close', r));
      const running = (what: (command: string) => boolean) =>
        processesOf(user).some((p) => p.state !== 'Z' && what(p.command));
      // The command runs only once the network is up; the test's timeout bounds the wait.
      while (!running((c) => c === 'sleep 60')) await new Promise((r) => setTimeout(r, 20));
      expect(running((c) => c.startsWith(`${mode} `) || c.includes(`/${mode} `))).toBe(true);
      child.kill('SIGKILL');
      await closed;
      await expectNoLeftovers(before, user);
    },
  );
});
