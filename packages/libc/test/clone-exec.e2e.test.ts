import { fileURLToPath } from 'node:url';
import { runNodeAs, testUser } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/clone-exec.mjs', import.meta.url));

describe('cloneThenExec into new namespaces', () => {
  it('one process clones 300 children into user, mount, pid, uts and ipc namespaces, each execs', async () => {
    const r = await runNodeAs(testUser(), fixture, ['ns', '300'], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.statuses).toEqual({ ok: 300 });
    expect(out.counted).toBe(300);
    expect(out.fdGrowth).toBe(0);
    expect(out.execFailureSeen).toEqual({ errno: 2, path: '/nonexistent/program' });
    expect(out.execFailure).toBe(99);
    expect(out.threw).toBe(255);
    expect(out.after).toBe(0);
  });
});
