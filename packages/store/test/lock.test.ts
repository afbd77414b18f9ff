import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockFile, tryLockFile } from '../src/lock.js';

const dir = mkdtempSync(join(tmpdir(), 'store-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flock-based locks', () => {
  it('shares shared locks, excludes an exclusive one, and frees on release', async () => {
    const p = join(dir, 'l');
    const a = await lockFile(p, 'shared');
    const b = tryLockFile(p, 'shared');
    expect(b).toBeDefined();
    expect(tryLockFile(p, 'exclusive')).toBeUndefined();
    a.release();
    b!.release();
    const c = tryLockFile(p, 'exclusive');
    expect(c).toBeDefined();
    expect(tryLockFile(p, 'shared')).toBeUndefined();
    c!.release();
  });

  it('waits for an exclusive lock until it is released, and stops waiting on abort', async () => {
    const p = join(dir, 'w');
    const held = await lockFile(p, 'exclusive');
    const order: string[] = [];
    const waiting = lockFile(p, 'exclusive').then((l) => {
      order.push('acquired');
      l.release();
    });
    await new Promise((r) => setImmediate(r));
    order.push('released');
    held.release();
    await waiting;
    expect(order).toEqual(['released', 'acquired']);

    const again = await lockFile(p, 'exclusive');
    const ac = new AbortController();
    const aborted = lockFile(p, 'shared', ac.signal);
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    again.release();
  });
});
