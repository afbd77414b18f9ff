import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  mountTable,
  processesOf,
  type RunOptions,
  type RunResult,
  removeTree,
  runAs,
  STANDARD_PATH,
  subordinateRange,
  type TestUser,
  testUser,
  treeListing,
  userTempDir,
} from '@rootless-ts/testkit';
import { expect } from 'vitest';

export { treeListing };

/** The built command; tests run it as the unprivileged test user. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export const user = testUser();
export const subuid = subordinateRange(user, '/etc/subuid');
export const subgid = subordinateRange(user, '/etc/subgid');

/** The environment `rootless` itself gets: a login-like one, plus noise that must not leak in. */
export function hostEnv(u: TestUser = user): Record<string, string> {
  return {
    PATH: STANDARD_PATH,
    HOME: u.home,
    USER: u.name,
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    LEAK_ME_NOT: 'host-secret',
  };
}

/** Runs `rootless ARGS…` as the test user (or another user). */
export function rootless(
  args: string[],
  options: RunOptions & { as?: TestUser } = {},
): Promise<RunResult> {
  const u = options.as ?? user;
  return runAs(u, process.execPath, ['--single-threaded', CLI, ...args], {
    env: hostEnv(u),
    timeoutMs: 60_000,
    ...options,
  });
}

/** What must be the same after a run as before it: processes, host mounts, files. */
export interface Snapshot {
  pids: Set<number>;
  mounts: string[];
  files?: string[];
}

function live(u: TestUser): number[] {
  const range = u === user ? subuid : undefined;
  return processesOf(u, range).map((p) => p.pid);
}

export function snapshot(u: TestUser = user, dir?: string): Snapshot {
  const s: Snapshot = { pids: new Set(live(u)), mounts: mountTable() };
  if (dir) s.files = treeListing(dir);
  return s;
}

/**
 * Nothing left behind since `before`: no new process of the user or its subordinate ids (given
 * a moment to be reaped), the same host mount table, the same files.
 */
export async function expectNoLeftovers(before: Snapshot, u: TestUser = user, dir?: string) {
  let extra: number[] = [];
  for (let i = 0; i < 30; i++) {
    extra = live(u).filter((p) => !before.pids.has(p));
    if (extra.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(extra, 'processes left behind').toEqual([]);
  expect(mountTable(), 'host mounts').toEqual(before.mounts);
  if (dir && before.files) expect(treeListing(dir), 'host files').toEqual(before.files);
}

/** A temporary directory of the test user holding a busybox root made by `rootless rootfs busybox`. */
export async function busyboxRoot(): Promise<{ dir: string; root: string; cleanup: () => void }> {
  const dir = userTempDir(user, 'rootless-demo-');
  const root = join(dir, 'bb');
  const r = await rootless(['rootfs', 'busybox', root]);
  if (r.code !== 0) throw new Error(`rootfs busybox failed: ${r.stderr}`);
  return { dir, root, cleanup: () => removeTree(dir) };
}

/** stderr must be exactly one `rootless: …` line. */
export function expectOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.split('\n').filter((l) => l !== '');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^rootless: /);
  expect(lines[0]).toMatch(pattern);
}
