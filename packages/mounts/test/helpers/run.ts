import { fileURLToPath } from 'node:url';
import { runAs, type TestUser } from '@rootless-ts/testkit';
import { expect } from 'vitest';
import type { MountOp, RootfsOptions } from '../../src/index.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/apply-plan.mjs', import.meta.url));
const LOCKED = fileURLToPath(new URL('../fixtures/locked-remount.mjs', import.meta.url));

export interface PlanRequest {
  options?: RootfsOptions;
  ops?: MountOp[];
  extraOps?: MountOp[];
  preReadonly?: string;
  /** Undo the applied plan afterwards (AppliedPlan.undo). */
  undo?: boolean;
  checks?: Record<string, string>;
}

export interface CheckResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface PlanResult {
  ok: boolean;
  error?: { name: string; message: string; op: string; path: string; code: string };
  checks: Record<string, CheckResult>;
  fdsBefore: number[];
  fdsAfter: number[];
}

/**
 * Applies a plan as the unprivileged user in new user+mount+pid namespaces made by unshare(1)
 * (the forked node is PID 1 and mounts /proc itself), then runs the checks in the new root.
 * `extra` adds namespaces: '--net', '--ipc', '--uts'.
 */
export async function runPlan(
  user: TestUser,
  req: PlanRequest,
  extra: string[] = [],
): Promise<PlanResult> {
  const args = ['--user', '--map-root-user', '--mount', '--pid', '--fork', ...extra];
  const r = await runAs(user, 'unshare', [...args, process.execPath, FIXTURE, JSON.stringify(req)]);
  if (r.code !== 0) {
    throw new Error(`apply-plan fixture exited with ${r.code ?? r.signal}: ${r.stderr}`);
  }
  const result = JSON.parse(r.stdout) as PlanResult;
  // Whether the plan succeeded or failed, applyPlan closed every descriptor it opened.
  expect(result.fdsAfter).toEqual(result.fdsBefore);
  return result;
}

/** The locked-flags fixture, in a user namespace nested in one that mounted a nosuid,nodev,noexec tmpfs on dir. */
export async function runLocked(user: TestUser, dir: string): Promise<Record<string, unknown>> {
  const script =
    'mount -t tmpfs -o nosuid,nodev,noexec locked "$1" && ' +
    'exec unshare --user --map-root-user --mount "$0" "$2" "$1"';
  const r = await runAs(user, 'unshare', [
    '--user',
    '--map-root-user',
    '--mount',
    'sh',
    '-c',
    script,
    process.execPath,
    dir,
    LOCKED,
  ]);
  if (r.code !== 0) throw new Error(`locked-remount fixture exited with ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** The wrappers fixture, as root of a new user+mount namespace. */
export async function runWrappers(user: TestUser, dir: string): Promise<Record<string, unknown>> {
  const WRAPPERS = fileURLToPath(new URL('../fixtures/wrappers.mjs', import.meta.url));
  const r = await runAs(user, 'unshare', [
    '--user',
    '--map-root-user',
    '--mount',
    process.execPath,
    WRAPPERS,
    dir,
  ]);
  if (r.code !== 0) throw new Error(`wrappers fixture exited with ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
