import { fcntl as F, wait as W } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import { close, pipe2, posixSpawn, posixSpawnAsync, read, waitpid } from '../src/index.js';

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
