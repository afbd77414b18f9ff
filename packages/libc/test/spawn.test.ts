import { fcntl as F, wait as W } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import {
  close,
  pipe2,
  posixSpawn,
  posixSpawnAsync,
  read,
  type SpawnFileAction,
  waitpid,
  watchExit,
} from '../src/index.js';

async function reap(pid: number) {
  for (;;) {
    const r = waitpid(pid, W.WNOHANG);
    if (r.pid === pid && (r.exited || r.signaled)) return r;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('posixSpawn', () => {
  it('runs a program with argv, env and file actions; its exit status is reaped', async () => {
    const [r, w] = pipe2(F.O_CLOEXEC);
    const script = 'process.stderr.write(process.argv[1] + " " + process.env.X); process.exit(3)';
    const pid = posixSpawn(
      process.execPath,
      ['node', '-e', script, 'arg'],
      ['X=y'],
      [
        { op: 'open', target: 0, path: '/dev/null', flags: F.O_RDONLY },
        { op: 'dup2', fd: w, target: 2 },
      ],
    );
    close(w);
    const status = await reap(pid);
    expect(status.exitCode).toBe(3);
    const buf = Buffer.alloc(64);
    const n = read(r, buf);
    close(r);
    expect(buf.subarray(0, n).toString()).toBe('arg y');
  });

  it('reports a program that cannot be executed with its errno', async () => {
    expect(() => posixSpawn('/nonexistent/program', ['x'], [])).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'posix_spawn' }),
    );
    await expect(posixSpawnAsync('/nonexistent/program', ['x'], [])).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('async: resolves with the pid of a started program', async () => {
    const pid = await posixSpawnAsync(process.execPath, ['node', '-e', 'process.exit(5)'], []);
    expect((await reap(pid)).exitCode).toBe(5);
  });
});

describe('posixSpawn: what the child starts with', () => {
  /** Runs `sh -c script` (spawned from a libuv pool thread) and returns what it printed. */
  async function shOutput(script: string, extra: SpawnFileAction[] = []): Promise<string> {
    const [r, w] = pipe2(F.O_CLOEXEC);
    const pid = await posixSpawnAsync(
      '/bin/sh',
      ['sh', '-c', script],
      [],
      [{ op: 'dup2', fd: w, target: 1 }, ...extra],
    );
    close(w);
    expect((await watchExit(pid)).code).toBe(0);
    const buf = Buffer.alloc(4096);
    const n = read(r, buf);
    close(r);
    return buf.subarray(0, n).toString();
  }

  it('no signal blocked nor ignored, though a pool thread blocks them all and Node ignores SIGPIPE', async () => {
    const status = await shOutput('grep -E "^Sig(Blk|Ign):" /proc/self/status');
    expect(status).toMatch(/^SigBlk:\s+0+$/m);
    // Signals 1-31 (bits 0-30); glibc's own real-time signals 32 and 33 stay ignored.
    const ignored = BigInt(`0x${/^SigIgn:\s+([0-9a-f]+)$/m.exec(status)![1]}`);
    expect(ignored & 0x7fffffffn).toBe(0n);
  });

  it('a working directory of its own (chdir action)', async () => {
    expect(await shOutput('pwd', [{ op: 'chdir', path: '/proc' }])).toBe('/proc\n');
  });
});

describe('watchExit', () => {
  it('reaps a child and says how it ended: an exit code, or the signal that killed it', async () => {
    const exited = await posixSpawnAsync('/bin/sh', ['sh', '-c', 'exit 7'], []);
    expect(await watchExit(exited)).toEqual({ code: 7, signal: null });
    const killed = await posixSpawnAsync('/bin/sleep', ['sleep', '60'], []);
    const status = watchExit(killed, { ref: false });
    process.kill(killed, 'SIGKILL');
    expect(await status).toEqual({ code: null, signal: 'SIGKILL' });
    // Reaped: no zombie left.
    expect(() => waitpid(killed, W.WNOHANG)).toThrow(expect.objectContaining({ code: 'ECHILD' }));
  });

  it("names every standard signal as Node's own child processes do (SIGABRT, not SIGIOT)", async () => {
    const { constants } = await import('node:os');
    const { spawnSync } = await import('node:child_process');
    for (const name of ['SIGABRT', 'SIGIO', 'SIGPWR', 'SIGSTKFLT', 'SIGTERM', 'SIGSYS'] as const) {
      const n = constants.signals[name as keyof typeof constants.signals];
      const pid = await posixSpawnAsync('/bin/sh', ['sh', '-c', `kill -${n} $$`], []);
      const node = spawnSync('/bin/sh', ['-c', `kill -${n} $$`]);
      expect(node.signal, name).toBe(name);
      expect(await watchExit(pid), name).toEqual({ code: null, signal: name });
    }
  });
});
