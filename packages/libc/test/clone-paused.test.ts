import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { signal, wait } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import { clonePaused, close, kill, waitpid } from '../src/index.js';

/** Its state letter in /proc, once it has been scheduled and sleeps (R until then). */
function sleepingState(pid: number): string | undefined {
  const state = () => /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  let s = state();
  const deadline = Date.now() + 5000;
  while (s === 'R' && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    s = state();
  }
  return s;
}

describe('clonePaused', () => {
  it('clones a child that waits (no JavaScript) until it is killed, then is reaped', () => {
    const { pid, guard } = clonePaused(signal.SIGCHLD);
    try {
      expect(pid).toBeGreaterThan(0);
      // A copy of this process, sleeping in its read: it ran no JavaScript, which would crash it.
      expect(sleepingState(pid)).toBe('S');
      expect(waitpid(pid, wait.WNOHANG).pid).toBe(0);
      // The guard is close-on-exec, and the child closed its own copy of it: of that pipe it
      // holds the read end only, so ours is the last write end.
      const flags = /^flags:\s+(\d+)/m.exec(
        readFileSync(`/proc/self/fdinfo/${guard}`, 'utf8'),
      )![1]!;
      expect(Number.parseInt(flags, 8) & 0o2000000).not.toBe(0);
      const pipe = readlinkSync(`/proc/self/fd/${guard}`);
      const held = readdirSync(`/proc/${pid}/fd`).filter(
        (fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === pipe,
      );
      expect(held).toHaveLength(1);
      expect(readFileSync(`/proc/${pid}/fdinfo/${held[0]}`, 'utf8')).toMatch(
        /^flags:\s+0*2000000$/m,
      );
      kill(pid, signal.SIGKILL);
      expect(waitpid(pid, 0)).toMatchObject({ pid, signaled: true, termSignal: signal.SIGKILL });
    } finally {
      close(guard);
    }
  });

  it('exits by itself, status 0, once its creator closes the guard', () => {
    const { pid, guard } = clonePaused(signal.SIGCHLD);
    expect(sleepingState(pid)).toBe('S');
    close(guard);
    expect(waitpid(pid, 0)).toMatchObject({ pid, exited: true, exitCode: 0 });
  });

  it('does not outlive a creator that is SIGKILLed', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/clone-paused.mjs', import.meta.url));
    const creator = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      creator.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.trim());
      });
      creator.on('exit', () => reject(new Error(`the creator exited first: ${out}`)));
    });
    const held = Number(line);
    expect(held).toBeGreaterThan(0);
    expect(sleepingState(held)).toBe('S');
    const gone = new Promise((r) => creator.on('exit', r));
    creator.kill('SIGKILL');
    await gone;
    // It exits once the guard's last write end (the creator's) is closed: gone, or a zombie
    // until whoever it was reparented to reaps it. Before, it stayed sleeping in pause().
    const deadline = Date.now() + 5000;
    let state: string | undefined = 'S';
    while (Date.now() < deadline) {
      state = existsSync(`/proc/${held}/status`) ? sleepingState(held) : undefined;
      if (state === undefined || state === 'Z') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(state === undefined || state === 'Z').toBe(true);
  });
});
