import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processesOf, runNodeAs, subordinateRange, testUser } from '@rootless-ts/testkit';

export const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export interface SpawnOutcome {
  stdout: string;
  stderr: string;
  pid?: number;
  received?: string[];
  /** With `pool`: whether a pre-started launcher was taken. */
  usedPool?: boolean;
  /** With `pool`: whether its launchers after the spawn are the same processes. */
  pooledAfter?: 'same' | 'replaced';
  status?: { code: number | null; signal: string | null };
  error?: {
    name: string;
    message: string;
    step: string;
    code?: string;
    errno?: number;
    syscall?: string;
    path?: string;
  };
  plan?: {
    mode: string;
    uidMap: unknown;
    gidMap: unknown;
    reason?: { code: string; message: string };
  };
}

/** Runs fixtures/spawn.mjs as the unprivileged test user with the given spec. */
export async function spawnAsTestUser(spec: Record<string, unknown>): Promise<SpawnOutcome> {
  const r = await runNodeAs(testUser(), fixture('spawn.mjs'), [JSON.stringify(spec)]);
  if (r.code !== 0) throw new Error(`spawn fixture failed (${r.code ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as SpawnOutcome;
}

export function hook(name: string, config?: unknown) {
  return { module: fixture(`hooks/${name}`), ...(config === undefined ? {} : { config }) };
}

/** Whether a pid is still a live (not zombie) process. */
export function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Live processes of the test user and its subordinate ids: none may outlive a test. */
export function strays(): string[] {
  const user = testUser();
  return processesOf(user, subordinateRange(user, '/etc/subuid'))
    .filter((p) => p.state !== 'Z')
    .map((p) => `${p.pid} ${p.command}`);
}
