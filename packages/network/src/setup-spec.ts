import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPrivate, type NetworkMode } from './mode.js';

export interface NetworkSetupConfig {
  /** Bring `lo` up (default true). */
  loopback?: boolean;
  /** net.ipv4.ping_group_range inside, `[first, last]`, or false to leave it (default every mapped group). */
  pingGroupRange?: [number, number] | false;
  /** net.ipv4.ip_unprivileged_port_start inside, or false to leave it (default 0: any user binds any port). */
  unprivilegedPortStart?: number | false;
}

/**
 * The absolute path of the setup hook module (`@rootless-ts/network/setup`), beside the built
 * library: its CommonJS build where there is one (a CommonJS launcher, as
 * @rootless-ts/namespaces' is, requires it without starting the ES module loader), else the ESM
 * one (a bundle that built only `setup.js` beside itself); from the sources (unit tests), the
 * built one in dist.
 */
export function setupModule(): string {
  for (const candidate of ['./setup.cjs', './setup.js', '../dist/setup.cjs']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  const beside = fileURLToPath(new URL('./setup.cjs', import.meta.url));
  throw new Error(`@rootless-ts/network: setup hook not found at ${beside}; build the package`);
}

/**
 * What a spawn needs for this network mode, in @rootless-ts/namespaces' terms: the namespace
 * kinds to add (`net` for every private mode) and the setup hook that brings `lo` up in the
 * child. `host` needs neither.
 */
export function networkSetup(
  mode: NetworkMode,
  config: NetworkSetupConfig = {},
): { namespaces: Array<'net'>; setup: Array<{ module: string; config: NetworkSetupConfig }> } {
  if (!isPrivate(mode)) return { namespaces: [], setup: [] };
  return { namespaces: ['net'], setup: [{ module: setupModule(), config }] };
}
