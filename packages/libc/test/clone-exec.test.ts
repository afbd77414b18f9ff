import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/clone-exec.mjs', import.meta.url));

// In a child Node process: clone needs the main thread, and vitest runs files in workers.
describe('cloneThenExec (no namespaces)', () => {
  it('executes after the function returns, 200 times from one process, and the process goes on', () => {
    const out = JSON.parse(
      execFileSync(process.execPath, [fixture, 'plain', '200'], { encoding: 'utf8' }),
    );
    // Every child exec'd the program it prepared (its exit status shows it ran).
    expect(out.statuses).toEqual({ ok: 200 });
    // Each function ran in a child, on this memory: the parent saw its counter move.
    expect(out.counted).toBe(200);
    // Nothing was left open in the parent by 200 children.
    expect(out.fdGrowth).toBe(0);
    // execve failed: onExecFailure got its errno (ENOENT) in the child; its return is the status.
    expect(out.execFailureSeen).toEqual({ errno: 2, path: '/nonexistent/program' });
    expect(out.execFailure).toBe(99);
    expect(out.execFailureDefault).toBe(127);
    // Without an exec: the returned number, 255 for a throw, and a prepared exec not returned
    // does not run.
    expect(out.returned).toBe(42);
    expect(out.threw).toBe(255);
    expect(out.preparedNotReturned).toBe(5);
    expect(out.after).toBe(0);
  });
});

describe('cloneThenExec deathSignal', () => {
  it("is the child's parent-death signal before its function runs, and only when asked", () => {
    const out = JSON.parse(
      execFileSync(
        process.execPath,
        [fileURLToPath(new URL('./fixtures/clone-exec-deathsig.mjs', import.meta.url))],
        {
          encoding: 'utf8',
        },
      ),
    );
    expect(out).toEqual({ with: 9, without: 0, term: 15 });
  });
});
