import { chmodSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree, runAs, runNodeAs, testUser, userTempDir } from '@rootless-ts/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hook, spawnAsTestUser } from './helpers.js';
import {
  fixture,
  freePort,
  gone,
  Held,
  hostService,
  httpGet,
  liveProcesses,
  runContainer,
  udpSendUntil,
} from './network-helpers.js';

const BUSYBOX = '/bin/busybox';
let webRoot: string;

beforeAll(async () => {
  for (const tool of ['pasta', 'slirp4netns', 'setpriv', 'busybox']) {
    const r = await runAs(testUser(), 'sh', ['-c', `command -v ${tool}`]);
    if (r.code !== 0)
      throw new Error(
        `${tool} is missing: run tools/setup-host.sh (passt, slirp4netns, busybox-static)`,
      );
  }
  webRoot = userTempDir(testUser(), 'rootless-net-web-');
  writeFileSync(join(webRoot, 'index.html'), 'hello from inside\n');
  chmodSync(join(webRoot, 'index.html'), 0o644);
});

afterAll(() => {
  if (webRoot) removeTree(webRoot);
});

// After every test: nothing of the test user's is left running (helpers, containers, fixtures).
afterEach(async () => {
  expect(liveProcesses()).toEqual([]);
  // slirp4netns's API socket directories are removed with the network, even after a failure.
  expect(readdirSync(tmpdir()).filter((n) => n.startsWith('rootless-slirp-'))).toEqual([]);
});

/** Ends a held container (SIGKILL to it), waits for the fixture's report, its exit, the helper's. */
async function stop(c: Held): Promise<void> {
  const r = await c.ready();
  if (r.pid) {
    try {
      process.kill(r.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await c.closed;
  if (r.helperPid) await gone(r.helperPid);
}

/** A shell command in busybox's sh, the container seeing the host's files. */
const sh = (script: string) => [BUSYBOX, 'sh', '-c', script];

describe('none', () => {
  it('has only lo, up; ping 127.0.0.1 works, as root and as a plain user inside', async () => {
    // busybox's ping uses a raw socket, which needs CAP_NET_RAW in the user namespace that owns
    // the network namespace: root of the container's own, not of the nested one that
    // spawn({ lockMounts }) runs programs in (see the next case for a ping without it).
    const r = await runContainer({
      mode: 'none',
      lockMounts: false,
      argv: sh(
        `${BUSYBOX} ip -o link; ${BUSYBOX} ping -c1 -W2 127.0.0.1 >/dev/null && echo ping-ok`,
      ),
    });
    expect(r.error).toBeUndefined();
    const links = r.stdout
      .trim()
      .split('\n')
      .filter((l) => /^\d+:/.test(l));
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
    expect(r.stdout).toContain('ping-ok');
    // busybox's ping needs a raw socket (root); a plain user pings through an ICMP datagram
    // socket, which the setup hook's net.ipv4.ping_group_range allows.
    const user = await runContainer({
      mode: 'none',
      uid: 1100,
      argv: sh(
        `id -u; cat /proc/sys/net/ipv4/ping_group_range; perl ${fixture('icmp-ping.pl')}; ` +
          // and binds a port below 1024 (ip_unprivileged_port_start is 0 in its namespace)
          `${BUSYBOX} nc -l -p 80 & n=0; while [ $n -lt 200 ] && ! cat /proc/net/tcp /proc/net/tcp6 | grep -q ':0050 '; do sleep 0.05; n=$((n+1)); done; ` +
          `cat /proc/net/tcp /proc/net/tcp6 | grep -c ':0050 '; kill $!`,
      ),
    });
    expect(user.stdout).toBe('1100\n1100\t65536\npong\n1\n');
  });

  it("cannot reach a service on the host's 127.0.0.1", async () => {
    const svc = await hostService();
    try {
      const r = await runContainer({
        mode: 'none',
        argv: sh(`${BUSYBOX} nc -w 2 127.0.0.1 ${svc.port} </dev/null; echo "rc=$?"`),
      });
      expect(r.stdout).not.toContain('host secret');
      expect(r.stdout).toMatch(/rc=[1-9]/);
      expect(svc.connections()).toBe(0);
    } finally {
      svc.server.close();
    }
  });
});

describe.each(['pasta', 'slirp4netns'])('%s', (mode) => {
  const gateway = mode === 'pasta' ? '192.0.2.1' : '10.0.2.2';

  it("cannot reach the host's loopback services (127.0.0.1 or the gateway) nor its abstract sockets", async () => {
    const svc = await hostService();
    const name = `rootless-net-test-${process.pid}-${mode}`;
    const abstract: Server = createServer((s) => s.end('abstract secret\n'));
    await new Promise<void>((r) => abstract.listen(`\0${name}`, r));
    // From inside: node of the host (the container sees the host's files) tries the abstract name.
    const probe = `require('net').connect('\\0${name}').on('data',d=>{process.stdout.write('got '+d);process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`;
    try {
      // The same probe from the host, as the test user, reaches it: the check below means something.
      const control = await runAs(testUser(), process.execPath, ['-e', probe]);
      expect(control.stdout).toBe('got abstract secret\n');
      const r = await runContainer({
        mode,
        argv: sh(
          `${BUSYBOX} nc -w 2 127.0.0.1 ${svc.port} </dev/null; echo "lo=$?"; ` +
            `${BUSYBOX} nc -w 2 ${gateway} ${svc.port} </dev/null; echo "gw=$?"; ` +
            `${process.execPath} -e "${probe}"`,
        ),
      });
      expect(r.error).toBeUndefined();
      expect(r.stdout).not.toContain('secret');
      expect(r.stdout).toMatch(/lo=[1-9]/);
      expect(r.stdout).toMatch(/gw=[1-9]/);
      expect(r.stdout).toContain('ECONNREFUSED');
      expect(svc.connections()).toBe(0);
    } finally {
      svc.server.close();
      abstract.close();
    }
  });

  it('-p 127.0.0.1:PORT:80 serves busybox httpd to the host (TCP), two containers at once', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const serve = (port: number, tag: string) =>
      new Held({
        mode,
        ports: [`127.0.0.1:${port}:80`],
        argv: sh(`echo ${tag} > /tmp/tag; ${BUSYBOX} httpd -f -p 80 -h ${webRoot}`),
      });
    const one = serve(a, 'one');
    const two = serve(b, 'two');
    try {
      const [ra, rb] = await Promise.all([one.ready(), two.ready()]);
      expect(ra.error).toBeUndefined();
      expect(rb.error).toBeUndefined();
      expect(ra.ports).toMatchObject([{ hostPort: a }]);
      const [pa, pb] = await Promise.all([httpGet(a), httpGet(b)]);
      expect(pa).toMatch(/^HTTP\/1\.[01] 200 OK/);
      expect(pa).toContain('hello from inside');
      expect(pb).toContain('hello from inside');
    } finally {
      await Promise.all([stop(one), stop(two)]);
    }
  });

  it('-p 127.0.0.1:PORT:9000/udp carries datagrams in', async () => {
    const port = await freePort();
    // Debian's busybox nc has no -u: a UDP server from the host's node (the container sees the
    // host's files) prints the first datagram.
    const server = `require('dgram').createSocket('udp4').on('message',m=>{console.log(String(m).trim());process.exit(0)}).bind(9000,()=>console.log('bound'))`;
    const c = new Held({
      mode,
      ports: [`127.0.0.1:${port}:9000/udp`],
      argv: [process.execPath, '-e', server],
    });
    try {
      const r = await c.ready();
      expect(r.error).toBeUndefined();
      await c.line('bound');
      await udpSendUntil(port, 'datagram-from-host\n', c.line('datagram-from-host'));
    } finally {
      await stop(c);
    }
  });

  it('a host port already taken fails with one line naming the helper, and leaves nothing', async () => {
    const svc = await hostService();
    try {
      const r = await runContainer({ mode, ports: [`127.0.0.1:${svc.port}:80`], argv: ['true'] });
      expect(r.status).toBeUndefined();
      expect(r.error?.code).toBe('ERR_HELPER_FAILED');
      expect(r.error?.cause).toMatch(new RegExp(`^${mode}: .*${svc.port}`));
      expect(r.error?.cause).not.toContain('\n');
      if (mode === 'slirp4netns') expect(r.error?.cause).toContain('(address already in use)');
    } finally {
      svc.server.close();
    }
  });

  it("no helper is left after the container exits; the helper's output never reaches the container's stdio", async () => {
    const r = await runContainer({ mode, argv: ['true'] });
    expect(r.status).toEqual({ code: 0, signal: null });
    // slirp4netns prints its configuration and pasta its messages: none of it shows here.
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(r.helperPid).toBeGreaterThan(0);
    await gone(r.helperPid!);
  });

  it('no helper is left after the container is SIGKILLed', async () => {
    const c = new Held({ mode, argv: ['sleep', '60'] });
    const r = await c.ready();
    process.kill(r.pid, 'SIGKILL');
    const done = await c.done();
    expect(done.status).toEqual({ code: null, signal: 'SIGKILL' });
    await c.closed;
    await gone(r.helperPid!);
  });

  it('no helper (and no container) is left after the parent is SIGKILLed', async () => {
    const c = new Held({ mode, argv: ['sleep', '60'] });
    const r = await c.ready();
    c.child.kill('SIGKILL');
    await c.closed;
    await gone(r.helperPid!);
    await gone(r.pid);
  });
});

describe('the network option', () => {
  it('host: no network namespace of its own, no helper', async () => {
    const mine = readlinkNet('self');
    const r = await runContainer({ mode: 'host', argv: ['readlink', '/proc/self/ns/net'] });
    expect(r.error).toBeUndefined();
    // The test user's processes share the host's network namespace with this one.
    expect(r.stdout.trim()).toBe(mine);
    expect(r.helperPid).toBeUndefined();
  });

  it('a bad mode, a bad port and ports with none are refused with one line, nothing started', async () => {
    for (const [network, message] of [
      ['bridge', /^options: network: .*bridge/],
      [{ mode: 'pasta', ports: ['70000:80'] }, /^options: network: 70000:80: host port 70000/],
      [{ mode: 'none', ports: ['8080:80'] }, /^options: network: ports cannot be published/],
    ] as const) {
      const r = await spawnAsTestUser({ options: { argv: ['true'], network }, idmap: 'rootless' });
      expect(r.error?.step).toBe('options');
      expect(r.error?.message).toMatch(message);
      expect(r.error?.message).not.toContain('\n');
    }
  });

  it.each(['pasta', 'slirp4netns'])(
    '%s: a setup hook failing after the helper started leaves no helper',
    async (mode) => {
      const r = await spawnAsTestUser({
        options: { argv: ['true'], network: mode, setup: [hook('throws.mjs')] },
        idmap: 'rootless',
      });
      expect(r.error?.step).toBe('setup');
      // afterEach: no helper, no container of the test user's is left.
    },
  );

  it("the README's example is the fixture, verbatim, and serves a page through pasta", async () => {
    const example = fixture('readme-network.mjs');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`js\n${readFileSync(example, 'utf8')}\`\`\``);
    // It publishes 127.0.0.1:8080, which no other test uses.
    const r = await runNodeAs(testUser(), example);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('hostPort: 8080');
    expect(r.stdout.trim().endsWith('hello from inside')).toBe(true);
  });
});

function readlinkNet(pid: string): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}
