import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRoot, CLI, expectNoLeftovers, type Snapshot, snapshot, user } from './helpers.js';
import { Tmux } from './tmux.js';

let bb: Awaited<ReturnType<typeof busyboxRoot>>;
let term: Tmux | undefined;
let before: Snapshot;

beforeAll(async () => {
  bb = await busyboxRoot();
});
afterAll(() => bb?.cleanup());
afterEach(async () => {
  await term?.kill();
  term = undefined;
  // After the tmux server is gone: no container, no launcher, no rootless left.
  await expectNoLeftovers(before);
});

async function session(args: string): Promise<Tmux> {
  before = snapshot();
  term = new Tmux(user, bb.dir);
  await term.start(`${process.execPath} --single-threaded ${CLI} run ${args}`);
  return term;
}

describe('an interactive shell without -t (the inherited terminal)', () => {
  it('runs commands, Ctrl-C interrupts one without killing rootless, exit 7 gives 7', async () => {
    const t = await session(`-r ${bb.root} --hostname box -- sh`);
    await t.waitFor(/~ \$ ?$/m);
    await t.line('echo pid=$$ host=$(hostname)');
    await t.waitFor(/pid=1 host=box/);
    await t.line('sleep 100; echo after-sleep');
    await new Promise((r) => setTimeout(r, 500));
    await t.send('C-c');
    await t.line('echo still-here-$((6*7))');
    const screen = await t.waitFor(/still-here-42/);
    // Ctrl-C ended the whole command list: the echo after sleep never ran.
    expect(screen).not.toMatch(/^after-sleep/m);
    await t.line('exit 7');
    await t.waitFor(/EXIT:7/);
  });

  it('Ctrl-C ends a PID 1 without a handler: status 130', async () => {
    const t = await session(`-r ${bb.root} -- sleep 100`);
    await new Promise((r) => setTimeout(r, 1000));
    await t.send('C-c');
    await t.waitFor(/EXIT:130/);
  });
});

describe('an interactive shell with -t (a pty of the container’s devpts)', () => {
  it('has a terminal, job control, Ctrl-C, window size changes, and exit 7', async () => {
    const t = await session(`-t -r ${bb.root} -- sh`);
    await t.waitFor(/~ \$ ?$/m);
    await t.line('tty; stty size');
    await t.waitFor(/\/dev\/pts\/0\n30 100/);
    await t.line('ps -o pid,tty,comm');
    await t.waitFor(/1 +(pts\/0|136,0) +sh/);
    await t.resize(120, 40);
    await t.line('stty size');
    await t.waitFor(/^40 120$/m);
    await t.line('sleep 100; echo after-sleep');
    await new Promise((r) => setTimeout(r, 500));
    await t.send('C-c');
    await t.line('echo alive-$((6*7))');
    const screen = await t.waitFor(/alive-42/);
    expect(screen).not.toMatch(/^after-sleep/m);
    // Job control: a background job, then brought back and interrupted.
    await t.line('sleep 200 &');
    await t.line('jobs');
    await t.waitFor(/\[1\]\+? +Running +sleep 200/);
    await t.line('fg');
    await new Promise((r) => setTimeout(r, 300));
    await t.send('C-c');
    await t.line('exit 7');
    await t.waitFor(/EXIT:7/);
  });
});

describe('-t without --root', () => {
  it("gets a pty of the container's own devpts over the host's files", async () => {
    const t = await session(`-t -- sh -c 'tty; stty size; ls /dev/pts'`);
    await t.waitFor(/^\/dev\/pts\/0\n30 100\n0 +ptmx\n(.*\n)*EXIT:0/m);
  });
});
