import { spawn as spawnProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { runNodeAs, subordinateRange, testUser } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';
import { fixture, strays } from './helpers.js';

const user = testUser();
const _subuid = subordinateRange(user, '/etc/subuid');

/** A launcher's descriptors and threads, read as root (its memory is not dumpable after a spawn). */
function launcherState(pid: number): { fds: string[]; threads: number } {
  return {
    fds: readdirSync(`/proc/${pid}/fd`).sort(),
    threads: Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]),
  };
}

/** Runs the fixture as the test user, talking to it in lines: each reply is read after `step`. */
async function converse(
  scenario: string,
  steps: Array<(reply: Record<string, unknown>) => void>,
): Promise<Array<Record<string, unknown>>> {
  const child = spawnProcess(process.execPath, [fixture('pool-reuse.mjs'), scenario], {
    env: { PATH: '/usr/bin:/bin', HOME: user.home, USER: user.name, LANG: 'C.UTF-8' },
    cwd: '/',
    stdio: ['pipe', 'pipe', 'pipe'],
    uid: user.uid,
    gid: user.gid,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const replies: Array<Record<string, unknown>> = [];
  const exited = new Promise((r) => child.once('close', r));
  for await (const line of createInterface({ input: child.stdout })) {
    const reply = JSON.parse(line) as Record<string, unknown>;
    replies.push(reply);
    steps[replies.length - 1]?.(reply);
    child.stdin.write('\n');
  }
  await exited;
  clearTimeout(timer);
  expect(stderr).toBe('');
  return replies;
}

describe('a pooled launcher serves spawn after spawn', () => {
  it('one launcher runs 60 sequential spawns with the right exit statuses, and keeps no descriptor, thread or process of theirs', async () => {
    let before: ReturnType<typeof launcherState> | undefined;
    let after: ReturnType<typeof launcherState> | undefined;
    let launcher = 0;
    const replies = await converse('serve', [
      (r) => {
        launcher = r.launcher as number;
        before = launcherState(launcher);
      },
      () => {
        after = launcherState(launcher);
      },
    ]);
    const [first, served, closed] = replies as [
      { fds: number },
      { codes: number[]; launchers: number[]; children: number[]; fds: number },
      { children: number[] },
    ];
    expect(served.codes).toEqual(Array.from({ length: 60 }, (_, i) => i % 7));
    // The same launcher served them all; it is the caller's only child left (every container
    // was reaped), and the caller's own descriptors are as before.
    expect(served.launchers).toEqual([launcher]);
    expect(served.children).toEqual([launcher]);
    expect(served.fds).toBe(first.fds);
    // In the launcher: the same descriptors and threads after 60 spawns as after the first.
    expect(before!.fds.length).toBeGreaterThan(0);
    expect(after).toEqual(before);
    expect(closed.children).toEqual([]);
    expect(strays()).toEqual([]);
  }, 180_000);

  it("a container sees nothing of the previous one's environment, descriptors or working directory", async () => {
    const r = await runNodeAs(user, fixture('pool-reuse.mjs'), ['isolation'], {
      timeoutMs: 60_000,
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.sameLauncher).toBe(true);
    // The first had its environment, working directory and extra descriptor (3; 4 is ls's).
    expect(out.first).toMatchObject({ code: 0, stdout: 'one\n/tmp\n0\n1\n2\n3\n4\n' });
    // The second, through the same launcher: none of it, nor the descriptor the first's hook
    // left open.
    expect(out.second).toMatchObject({ code: 0, stdout: 'unset\n/\n0\n1\n2\n3\n' });
    // The first's hook set an environment variable and changed directory in the launcher's
    // memory: the second's hook finds neither.
    const [firstSaw] = out.first.stderr.trim().split('\n').map(JSON.parse);
    const [secondSaw] = out.second.stderr.trim().split('\n').map(JSON.parse);
    expect(secondSaw).toEqual(firstSaw);
    expect(secondSaw.env).toBeNull();
    expect(strays()).toEqual([]);
  });

  it('an execve that fails is a typed error with its errno, and the launcher serves the next spawn', async () => {
    const r = await runNodeAs(user, fixture('pool-reuse.mjs'), ['exec-failure'], {
      timeoutMs: 60_000,
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.error).toMatchObject({
      step: 'exec',
      code: 'ENOEXEC',
      errno: 8,
      syscall: 'execve',
    });
    expect(out.error.message).toMatch(/^exec: executing .*not-a-program: ENOEXEC/);
    expect(out.after).toBe(3);
    expect(out.sameLauncher).toBe(true);
    expect(out.children).toEqual([]);
    expect(strays()).toEqual([]);
  });

  it("a container in the host's pid namespace, root inside being the launcher's own user, cannot reach the launcher", async () => {
    const r = await runNodeAs(user, fixture('pool-reuse.mjs'), ['reach'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    // Both spawns ran (the single mapping, written by the parent itself, works through a
    // pooled launcher), and neither could list the launcher's descriptors (a dumpable launcher
    // lets it: its /proc files would belong to the same user), open its control channel, read
    // its environment or ptrace it.
    expect(out.attempts).toEqual(
      Array(2).fill({
        code: 0,
        stdout: 'fd-denied\nenviron-denied\nchannel-denied\nOperation not permitted\n',
        stderr: '',
      }),
    );
    expect(out.alive).toBe(true);
    expect(strays()).toEqual([]);
  });

  it('50 spawns at once from one process all exit 0 through a pool of 4, with nothing left over', async () => {
    const r = await runNodeAs(user, fixture('pool-reuse.mjs'), ['burst'], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    const [burst, closed] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(burst.codes).toEqual(Array(50).fill(0));
    // Spread over the pool's four launchers, which are still the same processes.
    expect(burst.sameLaunchers).toBe(true);
    expect(burst.children).toEqual([]);
    expect(burst.fdGrowth).toBe(0);
    expect(closed.children).toEqual([]);
    expect(strays()).toEqual([]);
  }, 180_000);
});
