import { describe, expect, it } from 'vitest';
import { mountTable, processesOf, runAs, subordinateRange, testUser } from '../src/index.js';

describe('testkit', () => {
  it('runs a command as the unprivileged test user', async () => {
    const user = testUser();
    const r = await runAs(user, 'id', ['-u']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(String(user.uid));
    expect(user.uid).not.toBe(0);
  });

  it('finds the test user subordinate range and its own processes', async () => {
    const user = testUser();
    const range = subordinateRange(user, '/etc/subuid');
    expect(range.count).toBeGreaterThan(1000);
    const r = await runAs(user, 'sh', ['-c', 'sleep 5 >/dev/null 2>&1 & echo $!']);
    const pid = Number(r.stdout.trim());
    expect(processesOf(user, range).map((p) => p.pid)).toContain(pid);
    process.kill(pid, 'SIGKILL');
  });

  it('reads the mount table', () => {
    const t = mountTable();
    expect(t.some((l) => l.startsWith('/ / '))).toBe(true);
  });
});
