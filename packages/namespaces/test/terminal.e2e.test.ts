import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  mountTable,
  processesOf,
  removeTree,
  runAs,
  STANDARD_PATH,
  testkitFixture,
  testUser,
  userTempDir,
} from '@rootless-ts/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './helpers.js';

/**
 * spawn() protects the caller's terminal by default: a program it starts cannot push input into
 * it (TIOCSTI, the class of bubblewrap's CVE-2017-5226), through fd 0, /dev/tty or the
 * terminal's device. Driven through a real terminal (tmux, a host shell reading it), as the
 * unprivileged test user; each case checks that the host shell ran nothing.
 */

const user = testUser();
let dir: string;
let probe: string;
let socket = '';
const tmux = async (...args: string[]) => {
  const r = await runAs(user, 'tmux', ['-L', socket, ...args], {
    env: { PATH: STANDARD_PATH, HOME: user.home, TMUX_TMPDIR: dir, TERM: 'xterm-256color' },
    timeoutMs: 10_000,
  });
  if (r.code !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
async function waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await tmux('capture-pane', '-t', 'main', '-p', '-S', '-100');
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${pattern} on the screen:\n${last}`);
}
const ours = () =>
  processesOf(user)
    .map((p) => p.pid)
    .sort();
let before: { pids: number[]; mounts: string[] };

beforeAll(() => {
  dir = userTempDir(user, 'terminal-e2e-');
  chmodSync(dir, 0o755);
  probe = join(dir, 'tiocsti');
  try {
    execFileSync('gcc', ['-static', '-O1', '-o', probe, testkitFixture('tiocsti.c')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    throw new Error(
      `cannot build the probe (apt-get install gcc libc6-dev): ${(e as Error).message}`,
    );
  }
  chmodSync(probe, 0o755);
});
afterAll(() => removeTree(dir));
afterEach(async () => {
  await tmux('kill-server').catch(() => {});
  // No process of the test user that was not there before (other test files run meanwhile).
  let extra: number[] = [];
  for (let i = 0; i < 30; i++) {
    extra = ours().filter((p) => !before.pids.includes(p));
    if (extra.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(extra).toEqual([]);
  expect(mountTable()).toEqual(before.mounts);
});

/** Runs the probe through spawn(options) in a host shell; returns its report and what the shell ran. */
async function attack(options: Record<string, unknown>) {
  before = { pids: ours(), mounts: mountTable() };
  socket = `rt-terminal-${Math.random().toString(36).slice(2)}`;
  await tmux('new-session', '-d', '-s', 'main', '-x', '200', '-y', '50', 'sh');
  await waitFor(/\$ ?$/m);
  const file = join(dir, `pwned-${Math.random().toString(36).slice(2)}`);
  const cmd = `${process.execPath} ${fixture('tiocsti-spawn.mjs')} '${JSON.stringify(options)}' ${probe} ${file} $(tty)`;
  await tmux('send-keys', '-t', 'main', '-l', `${cmd}; echo DONE:$?`);
  await tmux('send-keys', '-t', 'main', 'Enter');
  await waitFor(/^DONE:\d+/m);
  await tmux('send-keys', '-t', 'main', '-l', 'echo MARK-$((6*7))');
  await tmux('send-keys', '-t', 'main', 'Enter');
  const screen = await waitFor(/^MARK-42/m);
  const report = /stdin=\S+ tty=\S+ path=\S+ high=\S+ linux=\S+/.exec(screen)?.[0];
  const made = readdirSync(dir).filter((f) => f.startsWith(`${file.split('/').at(-1)}-`));
  return { report, made, screen };
}

describe("spawn() and the caller's terminal", () => {
  it('control: in the caller’s session and without a filter, the program does type into it', async () => {
    const r = await attack({ newSession: false, seccomp: 'unconfined' });
    expect(
      r.report,
      'a kernel with dev.tty.legacy_tiocsti = 0 refuses TIOCSTI to everyone: the control cannot show the attack there',
    ).toMatch(/^stdin=OK tty=OK path=OK high=OK/);
    expect(r.made.length).toBe(4);
  });

  it('by default: refused through fd 0, /dev/tty, /dev/pts/N and a 64-bit command', async () => {
    const r = await attack({});
    expect(r.report).toBe('stdin=EPERM tty=ENXIO path=EPERM high=EPERM linux=EPERM');
    expect(r.made).toEqual([]);
    expect(r.screen).not.toContain('echo PWNED >');
  });

  it('the new session alone refuses it (seccomp unconfined)', async () => {
    const r = await attack({ seccomp: 'unconfined' });
    expect(r.report).toBe('stdin=EPERM tty=ENXIO path=EPERM high=EPERM linux=ENOTTY');
    expect(r.made).toEqual([]);
  });

  it('the terminal guard alone refuses it (in the caller’s session)', async () => {
    const r = await attack({ newSession: false });
    expect(r.report).toBe('stdin=EPERM tty=EPERM path=EPERM high=EPERM linux=EPERM');
    expect(r.made).toEqual([]);
  });
});
