import { spawn as spawnChild } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planIdMaps, toHostId } from '@rootless-ts/idmap';
import { processesOf, runNodeAs, subordinateRange, testUser } from '@rootless-ts/testkit';
import { expect } from 'vitest';

export const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
export const user = testUser();
const subuid = subordinateRange(user, '/etc/subuid');

/** The mapping the store extracts with for the test user (the same rule the store applies). */
const plan = planIdMaps({ user: { name: user.name, uid: user.uid, gid: user.gid } });
export const hostUid = (c: number) => toHostId(plan.uidMap, c);
export const hostGid = (c: number) => toHostId(plan.gidMap, c);
if (plan.mode !== 'subordinate')
  throw new Error(`test user ${user.name} has no subordinate ids; run tools/setup-host.sh`);

export interface OpOutcome {
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the fixture, checked by the assertions.
  result?: any;
  error?: { name: string; code: string; message: string };
  phases?: string[];
  lastBytes?: number;
  extracted?: number;
  existed?: number;
}

/** Runs one store operation (fixtures/store-op.mjs) as the test user. */
export async function op(spec: Record<string, unknown>): Promise<OpOutcome> {
  const r = await runNodeAs(user, fixture('store-op.mjs'), [JSON.stringify(spec)], {
    timeoutMs: 180_000,
  });
  if (r.code !== 0) throw new Error(`store-op failed (${r.code ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as OpOutcome;
}

/** Starts a pull as the test user in a child this test can SIGKILL. */
export function startPull(spec: Record<string, unknown>) {
  const child = spawnChild(
    process.execPath,
    [fixture('store-op.mjs'), JSON.stringify({ op: 'pull', ...spec })],
    {
      uid: user.uid,
      gid: user.gid,
      cwd: '/',
      env: { PATH: '/usr/bin:/bin', HOME: user.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  const exited = new Promise<{ code: number | null; signal: string | null; output: string }>((r) =>
    child.on('close', (code, signal) => r({ code, signal, output })),
  );
  return { child, exited };
}

/** Live processes of the test user and its subordinate ids. */
export function strays(): string[] {
  return processesOf(user, subuid)
    .filter((p) => p.state !== 'Z')
    .map((p) => `${p.pid} ${p.command}`);
}

export const sha256File = (p: string) =>
  `sha256:${createHash('sha256').update(readFileSync(p)).digest('hex')}`;

/**
 * The store's invariants, checked from the host: every blob matches its name, the index names
 * only images whose blobs and layers are all there, and no layer directory is half made (a
 * layer directory holds exactly `diff`).
 */
export function checkConsistent(root: string): void {
  const blobs = join(root, 'blobs', 'sha256');
  for (const hex of existsSync(blobs) ? readdirSync(blobs) : []) {
    expect(sha256File(join(blobs, hex))).toBe(`sha256:${hex}`);
  }
  const layers = join(root, 'layers', 'sha256');
  for (const hex of existsSync(layers) ? readdirSync(layers) : []) {
    expect(readdirSync(join(layers, hex))).toEqual(['diff']);
  }
  const index = join(root, 'images.json');
  if (!existsSync(index)) return;
  const images = JSON.parse(readFileSync(index, 'utf8')).images as Array<{
    manifestDigest: string;
    configDigest: string;
    layers: Array<{ digest: string; diffID: string }>;
  }>;
  for (const img of images) {
    for (const d of [img.manifestDigest, img.configDigest, ...img.layers.map((x) => x.digest)]) {
      expect(existsSync(join(blobs, d.slice(7)))).toBe(true);
    }
    for (const x of img.layers)
      expect(lstatSync(join(layers, x.diffID.slice(7), 'diff')).isDirectory()).toBe(true);
  }
}

export function listDir(p: string): string[] {
  return existsSync(p) ? readdirSync(p).sort() : [];
}
