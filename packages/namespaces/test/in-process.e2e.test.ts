import { readlinkSync } from 'node:fs';
import { runAs, testUser } from '@rootless-ts/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, fixture, strays } from './helpers.js';

// Nothing of the test user's is left running: no holder, no child, no launcher.
afterEach(() => {
  expect(strays()).toEqual([]);
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
    expect(out.failedKills).toEqual([]);
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

  it("with pasta, the program starts with the network configured (the child read pasta's readiness)", async () => {
    const out = await run('pasta');
    expect(out.exitStatus).toEqual({ code: 0, signal: null });
    expect(out.exit).toEqual({ code: 0, signal: null });
    expect(out.helperGoneAtExited).toBe(true);
    const [routeText, fds] = out.stdout.split('FDS\n');
    // pasta --config-net copies the host's default route (destination 00000000) onto its device.
    const routes = routeText.trim().split('\n').slice(1);
    expect(routes.some((l: string) => l.split('\t')[1] === '00000000')).toBe(true);
    // The child read pasta's readiness pipe and closed it: the program has its stdio and the
    // directory ls reads, nothing of pasta's.
    expect(fds.trim().split(/\s+/)).toEqual(['0', '1', '2', '3']);
    // The holder is killed once: not again once reaped, when its pid may be another process's.
    expect(out.failedKills).toEqual([]);
  });

  it("pasta failing (its host port taken) fails the spawn at 'network' with pasta's own reason, leaving nothing", async () => {
    const out = await run('pasta-taken');
    expect(out.error.step).toBe('network');
    expect(out.error.message).toMatch(/^network: .*pasta: /);
    expect(out.error.message).not.toContain('\n');
  });

  it('takes a holder and network that prepareSpawn started ahead, when they match', async () => {
    const out = await run('prepared');
    expect(out.exit).toEqual({ code: 0, signal: null });
    // The id maps and the sidecar were set up on the prepared holder.
    expect(out.sidecarPid).toBe(out.preparedPid);
    expect(out.stdout.split('\n').some((l: string) => l.split('\t')[1] === '00000000')).toBe(true);
    expect(out.holderGone).toBe(true);
    expect(out.failedKills).toEqual([]);
  });

  it('discards a prepared holder and its pasta that do not match the spawn, or when asked', async () => {
    const mismatch = await run('prepared-mismatch');
    expect(mismatch.exit).toEqual({ code: 0, signal: null });
    expect(mismatch.sidecarPid).not.toBe(mismatch.preparedPid);
    // network none: only lo, no route.
    expect(mismatch.stdout.trim().split('\n')).toHaveLength(1);
    expect(mismatch.holderGone).toBe(true);
    const discarded = await run('prepared-discard');
    expect(discarded.holderGone).toBe(true);
    // afterEach: nothing of the test user's left, pasta included.
  });

  it('80 spawns with the young generation at random fill levels: no collection starts in a clone child', async () => {
    // Without the collection before the holder's clone, 1 run of 3 aborted here ("Assertion
    // failed: (open_handle_scopes) == (open_handle_scopes_before)" in a koffi call).
    for (let round = 0; round < 2; round++) {
      const out = await run('churn');
      expect(out.statuses).toEqual(Array(40).fill(0));
    }
  });

  it('killed (SIGKILL) while it sets up, it leaves no holder, nor any copy of its stdout', async () => {
    const { spawn } = await import('node:child_process');
    const user = testUser();
    const child = spawn(
      process.execPath,
      ['--single-threaded', fixture('in-process.mjs'), 'hang'],
      {
        uid: user.uid,
        gid: user.gid,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    const holder = await new Promise<number>((resolve) =>
      child.stdout.on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out).holder);
      }),
    );
    expect(readlinkSync(`/proc/${holder}/ns/user`)).not.toBe(readlinkSync('/proc/self/ns/user'));
    child.kill('SIGKILL');
    // 'close' needs every copy of the stdout pipe closed: the holder's too (it has none).
    await new Promise((r) => child.on('close', r));
    // Killed with it (a zombie until its new parent reaps it: not alive).
    for (let i = 0; i < 50 && alive(holder); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(holder)).toBe(false);
  });

  it('SIGKILLed at random points of its spawns (no pid namespace, locked mounts), it leaves nothing', async () => {
    // Without a pid namespace nothing takes the setup's processes down with the child. Found
    // here: the process lock-mounts clones to hold the nested namespaces outlived a child
    // killed half-way (it waited in pause(), with parent 1; it now exits when the child is
    // gone); and the clone children, killed before their death signal was set, ran on as
    // orphans on a memory whose threads had died (one waited on a futex forever, others
    // aborted on "open_handle_scopes"; the signal is now set before their first instruction of
    // JavaScript, and the container's first process checks a pidfd of its parent).
    const { spawn } = await import('node:child_process');
    const user = testUser();
    // Seeded, so that a failure can be replayed.
    let seed = 4242;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let stderr = '';
    for (let round = 0; round < 60; round++) {
      const child = spawn(
        process.execPath,
        ['--single-threaded', fixture('in-process.mjs'), 'kill-loop'],
        { uid: user.uid, gid: user.gid, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code, signal) => reject(new Error(`exited first: ${code ?? signal}`)));
      });
      // Somewhere in the next spawns (each takes some 10-20 ms).
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 60)));
      // 'exit', not 'close': a process left behind would hold a copy of its stdout.
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGKILL');
      await exited;
      for (let i = 0; i < 50 && strays().length > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(strays(), `round ${round}`).toEqual([]);
    }
    // Nothing ran on after its parent's death long enough to say anything.
    expect(stderr).toBe('');
  });

  it('a failed setup rejects at its step, with nothing left behind', async () => {
    const out = await run('bad-cwd');
    expect(out.error).toMatchObject({ step: 'chdir', code: 'ENOENT' });
    expect(out.error.message).toContain('/no/such/dir');
  });
});
