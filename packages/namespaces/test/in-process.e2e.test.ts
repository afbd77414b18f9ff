import { runAs, testUser } from '@rootless-ts/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture } from './helpers.js';
import { liveProcesses } from './network-helpers.js';

// Nothing of the test user's is left running: no holder, no child, no launcher.
afterEach(() => {
  expect(liveProcesses()).toEqual([]);
});

async function run(mode: string, flags = ['--single-threaded']) {
  const r = await runAs(testUser(), process.execPath, [...flags, fixture('in-process.mjs'), mode]);
  if (r.code !== 0) throw new Error(`fixture failed (${r.code ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('spawn({ inProcess: true })', () => {
  it('starts the program from this process: pid 1, mapped, the sidecar set up on the holder', async () => {
    const out = await run('run');
    expect(out.singleThreaded).toBe(true);
    // The holder (a paused process of ours) is in our pid namespace; a launcher's child is not.
    expect(out.sidecarInOurPidNs).toBe(true);
    const [first, map] = out.stdout.trim().split('\n');
    expect(first.split(' ')[0]).toBe('1');
    expect(map.trim().split(/\s+/)).toHaveLength(3);
    expect(out.exit).toEqual({ code: 0, signal: null });
  });

  it('falls back to a launcher when Node does not run --single-threaded', async () => {
    const out = await run('run', []);
    expect(out.singleThreaded).toBe(false);
    expect(out.sidecarInOurPidNs).toBe(false);
    expect(out.stdout.split(' ')[0]).toBe('1');
    expect(out.exit).toEqual({ code: 0, signal: null });
  });

  it('carries piped input and output whole', async () => {
    const out = await run('pipes');
    expect(out.stdout).toBe(200_000);
    expect(out.exit).toEqual({ code: 0, signal: null });
  });

  it('a failed setup rejects at its step, with nothing left behind', async () => {
    const out = await run('bad-cwd');
    expect(out.error).toMatchObject({ step: 'chdir', code: 'ENOENT' });
    expect(out.error.message).toContain('/no/such/dir');
  });
});
