import { readdirSync } from 'node:fs';
import { removeTree, runNodeAs, testUser, userTempDir } from '@rootless-ts/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, strays } from './helpers.js';

let dir: string | undefined;

afterEach(() => {
  if (dir) removeTree(dir);
  dir = undefined;
  expect(strays()).toEqual([]);
});

async function run(mode: 'wait' | 'fail') {
  dir = userTempDir(testUser(), 'rootless-sidecar-');
  const r = await runNodeAs(testUser(), fixture('sidecar.mjs'), [mode, dir]);
  if (r.code !== 0) throw new Error(`sidecar fixture failed (${r.code ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('spawn({ sidecar })', () => {
  it('runs beside the setup, and the program starts only once it has resolved', async () => {
    const out = await run('wait');
    // Its synchronous part could open the child's namespaces (the child was still the caller's).
    expect(out.openedNs).toBe(true);
    expect(out.sidecarPid).toBe(out.pid);
    // The file the sidecar wrote after a pause is there when the program runs.
    expect(out.stdout).toBe('written by the sidecar\n');
    expect(out.exit).toEqual({ code: 0, signal: null });
  });

  it('a rejection fails the spawn at step "sidecar", with nothing left running', async () => {
    const out = await run('fail');
    expect(out.error).toEqual({
      step: 'sidecar',
      message: expect.stringContaining('the sidecar gave up'),
    });
    expect(out.pid).toBeUndefined();
    expect(readdirSync(dir!)).toEqual([]);
  });
});
