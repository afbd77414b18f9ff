import { readFileSync } from 'node:fs';
import { runNodeAs, subordinateRange, testUser } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';
import { alive, fixture, hook, spawnAsTestUser, strays } from './helpers.js';

const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const user = testUser();
const _subuid = subordinateRange(user, '/etc/subuid');

describe('step 1: a user namespace without a mapping', () => {
  it('has a full capability set before exec, none after, and runs as nobody', async () => {
    const out = await spawnAsTestUser({
      options: {
        argv: ['sh', '-c', 'id -u; id -g; grep CapEff /proc/self/status'],
        env: { PATH },
        setup: [hook('report.mjs')],
      },
      idmap: 'none',
    });
    expect(out.error).toBeUndefined();
    const report = JSON.parse(out.stderr.trim().split('\n')[0]!);
    // 41 capabilities (0..40): all of them, in the new user namespace, before exec.
    expect(report.capEff).toBe('000001ffffffffff');
    expect(out.stdout.trim().split('\n')).toEqual(['65534', '65534', 'CapEff:\t0000000000000000']);
    expect(out.status).toEqual({ code: 0, signal: null });
  });

  it("shows =ep before exec and = after, in libcap's text form", async () => {
    const out = await spawnAsTestUser({
      options: {
        argv: ['getpcaps', '0'],
        env: { PATH },
        setup: [hook('caps.mjs')],
        stdio: ['pipe', 'pipe', 'pipe'],
      },
      idmap: 'none',
    });
    expect(out.stderr).toBe('before exec: =ep\n');
    // getpcaps, libcap's own formatter, on the exec'd program (unmapped, so not root).
    expect(out.stdout.trim()).toBe('0: =');
  });
});

describe('step 2: the single mapping', () => {
  it('makes the invoking user root inside', async () => {
    const out = await spawnAsTestUser({
      options: { argv: ['id'], env: { PATH } },
      idmap: 'single',
    });
    expect(out.error).toBeUndefined();
    expect(out.stdout).toMatch(/^uid=0\(root\) gid=0\(root\)/);
  });
});

describe('step 3: pid, uts and mount namespaces', () => {
  it('is PID 1, has its own hostname and a /proc of its own', async () => {
    const out = await spawnAsTestUser({
      options: {
        argv: ['sh', '-c', 'echo $$; hostname; ps -e -o pid= -o comm='],
        env: { PATH },
        hostname: 'box',
        setup: [hook('proc.mjs')],
      },
      idmap: 'rootless',
    });
    expect(out.error).toBeUndefined();
    const [pid, hostname, ...ps] = out.stdout.trim().split('\n');
    expect(pid).toBe('1');
    expect(hostname).toBe('box');
    expect(ps.map((l) => l.trim())).toEqual(['1 sh', expect.stringMatching(/^\d+ ps$/)]);
  });
});

describe('step 4: subordinate ids', () => {
  it('writes exactly the computed mapping', async () => {
    // The container's own user namespace: with lockMounts the program runs in one nested in it
    // (the next test), whose map is seen from the program instead.
    const out = await spawnAsTestUser({
      options: {
        argv: ['sh', '-c', 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; id'],
        env: { PATH },
        lockMounts: false,
      },
      idmap: 'rootless',
    });
    expect(out.error).toBeUndefined();
    expect(out.plan?.mode).toBe('subordinate');
    const fmt = (map: unknown) =>
      (map as Array<{ containerId: number; hostId: number; count: number }>).map(
        (l) => `${l.containerId} ${l.hostId} ${l.count}`,
      );
    const [uidText, rest] = out.stdout.split('--\n');
    const norm = (t: string) =>
      t
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).join(' '));
    expect(norm(uidText!)).toEqual(fmt(out.plan!.uidMap));
    const gidLines = norm(rest!).filter((l) => !l.startsWith('uid='));
    expect(gidLines).toEqual(fmt(out.plan!.gidMap));
    // The seed's rule: the user's own uid is container id 1100.
    expect(norm(uidText!)).toContain(`1100 ${user.uid} 1`);
    expect(out.stdout).toMatch(/uid=1100 gid=1100 groups=1100$/m);
  });

  it('with locked mounts (the default), the program sees every container id mapped as itself', async () => {
    const out = await spawnAsTestUser({
      options: {
        argv: ['sh', '-c', 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; id'],
        env: { PATH },
      },
      idmap: 'rootless',
    });
    expect(out.error).toBeUndefined();
    const identity = (map: unknown) =>
      (map as Array<{ containerId: number; count: number }>).map(
        (l) => `${l.containerId} ${l.containerId} ${l.count}`,
      );
    const norm = (t: string) =>
      t
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).join(' '));
    const [uidText, rest] = out.stdout.split('--\n');
    expect(norm(uidText!)).toEqual(identity(out.plan!.uidMap));
    expect(norm(rest!).filter((l) => !l.startsWith('uid='))).toEqual(identity(out.plan!.gidMap));
    expect(out.stdout).toMatch(/uid=1100 gid=1100 groups=1100$/m);
  });
});

/**
 * The basics, through a launcher started for the spawn and through a pre-started one from a
 * pool (whose descriptors reach it over SCM_RIGHTS): they must behave alike.
 */
describe.each([
  { launcher: 'a launcher of its own', pool: undefined },
  { launcher: 'a pre-started launcher', pool: 1 },
])('stdio, exit codes and descriptors, through $launcher', ({ pool }) => {
  /** Spawns as the test user; with a pool, checks a warm launcher was used. */
  const run = async (spec: Record<string, unknown>) => {
    const out = await spawnAsTestUser(pool ? { ...spec, pool } : spec);
    if (pool) expect(out.usedPool).toBe(true);
    return out;
  };

  it('delivers piped output complete and passes stdin through', async () => {
    const out = await run({
      options: {
        argv: ['sh', '-c', 'cat; head -c 1000000 /dev/zero | tr "\\0" x; echo err >&2'],
        env: { PATH },
      },
      idmap: 'rootless',
      input: 'hello\n',
    });
    expect(out.stdout.startsWith('hello\nxxx')).toBe(true);
    expect(out.stdout.length).toBe(6 + 1_000_000);
    expect(out.stderr).toBe('err\n');
    expect(strays()).toEqual([]);
  });

  it('returns the exit code and the killing signal', async () => {
    const three = await run({
      options: { argv: ['sh', '-c', 'exit 3'], env: { PATH } },
      idmap: 'rootless',
    });
    expect(three.status).toEqual({ code: 3, signal: null });
    const killed = await run({
      options: { argv: ['sleep', '100'], env: { PATH } },
      idmap: 'rootless',
      killAfterMs: 200,
    });
    expect(killed.status).toEqual({ code: null, signal: 'SIGKILL' });
    expect(strays()).toEqual([]);
  });

  it('hands the program descriptors 0-2 and those asked for, nothing else', async () => {
    // `ls` lists the descriptors of PID 1, the shell (`; true` keeps it from exec'ing ls).
    const setup = [hook('proc.mjs')];
    const plain = await run({
      options: { argv: ['sh', '-c', 'ls /proc/1/fd; true'], env: { PATH }, setup },
      idmap: 'rootless',
    });
    expect(plain.stdout.trim().split('\n')).toEqual(['0', '1', '2']);
    const extra = await run({
      options: { argv: ['sh', '-c', 'ls /proc/1/fd; head -c 4 <&3; true'], env: { PATH }, setup },
      idmap: 'rootless',
      extraFile: '/etc/passwd',
    });
    expect(extra.stdout.trim().split('\n')).toEqual(['0', '1', '2', '3', 'root']);
    const ignored = await run({
      options: {
        argv: ['sh', '-c', 'ls /proc/1/fd'],
        env: { PATH },
        setup,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
      idmap: 'rootless',
    });
    expect(ignored.stdout.trim().split('\n')).toEqual(['0', '1', '2']);
    expect(strays()).toEqual([]);
  });

  it('reports a missing program and a setup hook that throws, with errno, syscall and path', async () => {
    const missing = await run({
      options: { argv: ['no-such-program'], env: { PATH } },
      idmap: 'rootless',
    });
    expect(missing.error).toMatchObject({
      step: 'resolve',
      code: 'ENOENT',
      syscall: 'execve',
      path: 'no-such-program',
    });
    const hookFails = await run({
      options: { argv: ['true'], env: { PATH }, setup: [hook('throws.mjs')] },
      idmap: 'rootless',
    });
    expect(hookFails.error).toMatchObject({
      name: 'SpawnError',
      step: 'setup',
      code: 'ENOENT',
      errno: 2,
      syscall: 'open',
      path: '/nonexistent/rootless-test-hook',
    });
    expect(strays()).toEqual([]);
  });
});

describe('signals and the environment', () => {
  it('starts the program with no signal ignored or blocked (Node ignores SIGPIPE)', async () => {
    const out = await spawnAsTestUser({
      options: {
        argv: ['sh', '-c', 'yes | head -1; grep -E "^Sig(Ign|Blk)" /proc/self/status'],
        env: { PATH },
      },
      idmap: 'rootless',
    });
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe('y\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  it('passes the environment exactly, nothing inherited', async () => {
    const out = await spawnAsTestUser({
      options: { argv: ['/usr/bin/env'], env: { A: '1', B: 'two words' } },
      idmap: 'rootless',
    });
    expect(out.stdout).toBe('A=1\nB=two words\n');
  });
});

describe('unusual arguments and environment', () => {
  it('passes non-ASCII, empty and long arguments and values byte for byte', async () => {
    // Long enough for the config to cross the launcher's 4 KiB reads at every byte offset.
    const args = ['', 'é€😀'.repeat(3000), 'a b\tc\nd', 'x'.repeat(100_000), 'ü'];
    const out = await spawnAsTestUser({
      options: { argv: ['/usr/bin/printf', '%s\\0', ...args] },
      idmap: 'rootless',
    });
    expect(out.error).toBeUndefined();
    expect(out.stdout.split('\0')).toEqual([...args, '']);
    const env = await spawnAsTestUser({
      options: { argv: ['/usr/bin/env'], env: { EMPTY: '', NÄME: `${'ö'.repeat(2049)} 😀` } },
      idmap: 'rootless',
    });
    expect(env.stdout).toBe(`EMPTY=\nNÄME=${'ö'.repeat(2049)} 😀\n`);
  });
});

describe('no leaks', () => {
  it('refuses descriptors that are not open, leaking nothing', async () => {
    const r = await runNodeAs(user, fixture('bad-fds.mjs'), [], { timeoutMs: 10_000 });
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.errors).toEqual([
      { step: 'options', message: 'options: descriptor 987 is not open' },
      { step: 'options', message: 'options: descriptor 987 is not open' },
      { step: 'options', message: 'options: bad descriptor -1' },
      { step: 'options', message: 'options: bad descriptor 1.5' },
    ]);
    expect(out.after).toBe(out.before);
  });

  it('leaves no descriptor, zombie or process after 200 sequential and 20 concurrent spawns', async () => {
    const r = await runNodeAs(user, fixture('many.mjs'), ['200'], { timeoutMs: 240_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.sequential).toHaveLength(200);
    expect(out.sequential.every((c: number) => c === 0)).toBe(true);
    expect(out.concurrent).toEqual(Array(20).fill(0));
    expect(out.after.fds).toBe(out.before.fds);
    expect(out.after.children).toEqual([]);
    expect(strays()).toEqual([]);
  }, 300_000);
});

describe('alongside child_process', () => {
  it('reaps its containers and leaves child_process its own children, all at once', async () => {
    const r = await runNodeAs(user, fixture('interleave.mjs'), [], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    const want = Array.from({ length: 20 }, (_, i) => [i % 7, i % 5]).flat();
    expect(out.codes).toEqual(want);
    expect(out.children).toEqual([]);
    expect(strays()).toEqual([]);
  });
});

describe('the event loop', () => {
  it('keeps ticking while containers start and run', async () => {
    const r = await runNodeAs(user, fixture('loop.mjs'));
    const out = JSON.parse(r.stdout);
    // 3 containers sleeping 0.5 s: a 10 ms interval fires throughout.
    expect(out.elapsed).toBeGreaterThan(500);
    expect(out.ticks).toBeGreaterThan(out.elapsed / 10 / 3);
    expect(out.maxGap).toBeLessThan(250);
  });
});

describe('setup hooks that change the root', () => {
  it('may pivot_root into a root without /proc: the final credentials are still taken', async () => {
    const out = await spawnAsTestUser({
      options: {
        argv: ['sh', '-c', 'ls /; id -u; id -G'],
        env: { PATH },
        setup: [hook('pivot.mjs')],
      },
      idmap: 'rootless',
    });
    expect(out.error).toBeUndefined();
    expect(out.stdout).toBe('bin\nlib\nlib64\nusr\n1100\n1100\n');
  });
});

describe('the working directory', () => {
  it('is never resolved against the host directory the caller runs in', async () => {
    // Run from the host's /etc, asking for "." in a root that has no /etc: before, the program
    // started in the host's /etc (detached but reachable) and read its files.
    const spec = {
      options: {
        argv: ['sh', '-c', 'cat hostname'],
        env: { PATH },
        cwd: '.',
        setup: [hook('pivot.mjs')],
      },
      idmap: 'rootless',
    };
    const r = await runNodeAs(user, fixture('spawn.mjs'), [JSON.stringify(spec)], { cwd: '/etc' });
    const out = JSON.parse(r.stdout);
    expect(out.stdout).toBe('');
    expect(out.error).toMatchObject({
      step: 'options',
      message: 'options: cwd "." must be an absolute path inside the container',
    });
  });

  it('fails at chdir, naming the directory, when it does not exist inside', async () => {
    const out = await spawnAsTestUser({
      options: { argv: ['true'], env: { PATH }, cwd: '/nonexistent/dir' },
      idmap: 'rootless',
    });
    expect(out.error).toMatchObject({
      step: 'chdir',
      code: 'ENOENT',
      syscall: 'chdir',
      path: '/nonexistent/dir',
    });
    expect(strays()).toEqual([]);
  });

  it('gives EACCES, as execve would, for a program that is a directory (found before the exec)', async () => {
    const out = await spawnAsTestUser({ options: { argv: ['/etc'] }, idmap: 'rootless' });
    expect(out.error).toMatchObject({
      step: 'resolve',
      code: 'EACCES',
      syscall: 'execve',
      path: '/etc',
    });
  });
});

describe('descriptors from the child', () => {
  it('hands a descriptor opened by a setup hook to the parent', async () => {
    const out = await spawnAsTestUser({
      options: {
        argv: ['true'],
        env: { PATH },
        setup: [hook('sendfd.mjs', { path: '/etc/hostname' })],
      },
      idmap: 'rootless',
    });
    expect(out.error).toBeUndefined();
    expect(out.received).toEqual([readFileSync('/etc/hostname', 'utf8')]);
  });
});

describe('enter: joining a running container', () => {
  it("runs a program in the container's namespaces, as a new process of its pid namespace", async () => {
    const r = await runNodeAs(user, fixture('enter.mjs'));
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.differ).toEqual(['user', 'mnt', 'pid', 'uts', 'ipc']);
    expect(out.entered.sameAsContainer).toEqual([true, true, true, true, true]);
    const [hostname, pid, ...rest] = out.stdout.trim().split('\n');
    expect(hostname).toBe('box');
    expect(Number(pid)).toBeGreaterThan(1);
    expect(rest.map((l: string) => l.trim())).toEqual([
      '1 sleep',
      `${pid} sh`,
      expect.stringMatching(/^\d+ ps$/),
      '1100',
    ]);
    expect(out.status).toEqual({ code: 0, signal: null });
    expect(out.badPid).toEqual({ name: 'SpawnError', step: 'join', code: 'ESRCH' });
    expect(strays()).toEqual([]);
  });
});

describe('enter: some namespaces only', () => {
  it('joins the mount namespace of a container with a /proc of its own, not its pid namespace', async () => {
    const r = await runNodeAs(user, fixture('enter-mnt.mjs'));
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      stdout: 'box\n1100\n',
      status: { code: 0, signal: null },
    });
    expect(strays()).toEqual([]);
  });
});

describe('enter: the container cannot reach into an entering process', () => {
  it('keeps its memory and descriptors from root in the container until the exec', async () => {
    // Root in the container watches for new processes; each one entering is caught while it
    // still runs the launcher's code, on the launcher's memory, with its host descriptors.
    const r = await runNodeAs(user, fixture('enter-peek.mjs'));
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.entered).toEqual([0, 0, 0, 0, 0]);
    expect(out.seen.length).toBeGreaterThan(0);
    const reached = (out.seen as Array<{ mem: string; fds: unknown }>).filter(
      (s) => s.mem !== 'EACCES' || s.fds !== 'EACCES',
    );
    expect(reached).toEqual([]);
    expect(strays()).toEqual([]);
  });
});

describe('failures', () => {
  it('reports a launcher killed mid-setup and kills the child', async () => {
    const r = await runNodeAs(user, fixture('kill-launcher.mjs'));
    const out = JSON.parse(r.stdout);
    expect(out.error).toMatchObject({ name: 'SpawnError', step: 'launcher' });
    expect(out.error.message).toMatch(/launcher exited unexpectedly \(signal SIGKILL\)/);
    expect(out.killed).toBe(1);
    expect(out.children).toEqual([]);
    expect(strays()).toEqual([]);
  });

  it('gives a clear error when the launcher cannot start, or hangs, within the deadline', async () => {
    const missing = await spawnAsTestUser({
      options: { argv: ['true'], nodePath: '/nonexistent/node' },
      idmap: 'none',
    });
    expect(missing.error).toMatchObject({ step: 'launcher', code: 'ENOENT' });
    expect(missing.error?.message).toMatch(/cannot start the launcher/);
    const t0 = Date.now();
    const hung = await spawnAsTestUser({
      options: { argv: ['true'], nodePath: fixture('hang-launcher.sh'), timeoutMs: 500 },
      idmap: 'none',
    });
    expect(hung.error).toMatchObject({ step: 'handshake', code: 'ETIMEDOUT' });
    expect(hung.error?.message).toMatch(/timed out after 500 ms waiting for the child's pid/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(strays()).toEqual([]);
  });

  it('gives up on an id mapper that never finishes, within the deadline', async () => {
    const out = await spawnAsTestUser({
      options: { argv: ['true'], timeoutMs: 300 },
      idmap: 'hang',
    });
    expect(out.error).toMatchObject({ step: 'idmap', code: 'ETIMEDOUT' });
    expect(out.error?.message).toBe('idmap: timed out after 300 ms writing the id maps');
    expect(strays()).toEqual([]);
  });

  it('rejects bad options before starting anything', async () => {
    const out = await spawnAsTestUser({ options: { argv: [] }, idmap: 'none' });
    expect(out.error).toMatchObject({
      step: 'options',
      message: 'options: argv must be a non-empty array of strings',
    });
  });
});

describe('the container dies with its parent', () => {
  it('also while a setup hook runs: the child and the launcher go away', async () => {
    const { spawn } = await import('node:child_process');
    const parent = spawn(process.execPath, [fixture('orphan-in-setup.mjs')], {
      uid: user.uid,
      gid: user.gid,
      env: { PATH, HOME: user.home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve) => parent.stdout!.once('data', resolve));
    expect(strays().length).toBeGreaterThan(0);
    parent.kill('SIGKILL');
    const t0 = Date.now();
    while (strays().length > 0 && Date.now() - t0 < 1000)
      await new Promise((r) => setTimeout(r, 20));
    expect(strays()).toEqual([]);
  });

  it('is gone within a second of the parent being killed', async () => {
    const { spawn } = await import('node:child_process');
    const parent = spawn(process.execPath, [fixture('orphan.mjs')], {
      uid: user.uid,
      gid: user.gid,
      env: { PATH, HOME: user.home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve) =>
      parent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    const t0 = Date.now();
    while (alive(pid) && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
    expect(strays()).toEqual([]);
  });
});

describe('through a launcher pool', () => {
  it("gives setup hooks the program's stderr and the parent their descriptors", async () => {
    const out = await spawnAsTestUser({
      options: {
        argv: ['true'],
        env: { PATH },
        setup: [hook('report.mjs'), hook('sendfd.mjs', { path: '/etc/hostname' })],
      },
      idmap: 'rootless',
      pool: 1,
    });
    expect(out.error).toBeUndefined();
    expect(out.usedPool).toBe(true);
    // Given back after the exec: the same launcher waits for the next spawn.
    expect(out.pooledAfter).toBe('same');
    expect(JSON.parse(out.stderr.trim()).capEff).toBe('000001ffffffffff');
    expect(out.received).toEqual([readFileSync('/etc/hostname', 'utf8')]);
  });

  it('leaves no descriptor, zombie or process after 50 sequential and 6 concurrent pooled spawns, nor after close', async () => {
    const r = await runNodeAs(user, fixture('pool.mjs'), ['many'], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.sequential).toEqual(Array(50).fill(0));
    // The pool's two launchers served all 50 and are still the same processes.
    expect(out.reused).toBe(50);
    expect(out.concurrent).toEqual(Array.from({ length: 6 }, (_, i) => [i, `${i}\n`]));
    expect(out.sameAfterConcurrent).toBe(true);
    expect(out.before.pooled).toBe(2);
    // The pool's two launchers are this process's only children, and its only descriptors.
    expect(out.after).toEqual(out.before);
    expect(out.before.children).toBe(2);
    expect(out.closed.children).toEqual([]);
    expect(out.closed.fds).toBe(out.before.fds - 4);
    expect(out.afterClose).toBe(0);
    expect(out.closedAfter).toEqual(out.closed);
    expect(strays()).toEqual([]);
  }, 180_000);

  it('drops a launcher killed while it waits, and replaces it', async () => {
    const r = await runNodeAs(user, fixture('pool.mjs'), ['killed'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      waited: 0,
      replaced: true,
      zombie: true,
      notWaited: 0,
      replacedAgain: true,
      pooled: 1,
      children: [],
    });
    expect(strays()).toEqual([]);
  });

  it('enters a container from a pooled launcher, with an extra descriptor', async () => {
    const r = await runNodeAs(user, fixture('pool.mjs'), ['enter'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.spawned).toEqual({ code: 0, stdout: '0\n1\n2\n3\nroot' });
    expect(out.entered).toEqual({
      status: { code: 0, signal: null },
      stdout: 'box\n0\n1\n2\n3\nroot\n1100\n',
    });
    expect(out.children).toEqual([]);
    expect(strays()).toEqual([]);
  });

  it('does not keep the event loop alive, and its launchers die with the process', async () => {
    const t0 = Date.now();
    const r = await runNodeAs(user, fixture('pool.mjs'), ['forget'], { timeoutMs: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.code).toBe(0);
    expect(out.launchers).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const t1 = Date.now();
    while (out.launchers.some(alive) && Date.now() - t1 < 1000)
      await new Promise((r) => setTimeout(r, 20));
    expect(out.launchers.filter(alive)).toEqual([]);
    expect(strays()).toEqual([]);
  });
});
