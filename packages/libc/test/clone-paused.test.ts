import { readFileSync } from 'node:fs';
import { signal, wait } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import { clonePaused, kill, waitpid } from '../src/index.js';

describe('clonePaused', () => {
  it('clones a child that waits in pause() (no JavaScript) until it is killed, then is reaped', () => {
    const pid = clonePaused(signal.SIGCHLD);
    expect(pid).toBeGreaterThan(0);
    // A copy of this process, sleeping (S) in pause: it ran no JavaScript, which would crash it.
    const state = () => /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    let s = state();
    // Until it sleeps: on a loaded machine it may not have been scheduled yet.
    const deadline = Date.now() + 5000;
    while (s === 'R' && Date.now() < deadline) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      s = state();
    }
    expect(s).toBe('S');
    expect(waitpid(pid, wait.WNOHANG).pid).toBe(0);
    kill(pid, signal.SIGKILL);
    const r = waitpid(pid, 0);
    expect(r).toMatchObject({ pid, signaled: true, termSignal: signal.SIGKILL });
  });
});
