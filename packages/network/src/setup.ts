/**
 * The setup hook of a private network, for @rootless-ts/namespaces' `setup` option:
 * `{ module: setupModule() }`. It runs synchronously in the container's child, in its new
 * network namespace, as root inside: brings `lo` up and opens ping to every group.
 */
import { bringUpLoopback, setPingGroupRange } from './loopback.js';
import type { NetworkSetupConfig } from './setup-spec.js';

export type { NetworkSetupConfig };

export function setup(ctx: { config?: unknown; namespaces?: readonly string[] }): void {
  const cfg = (ctx.config ?? {}) as NetworkSetupConfig;
  // Outside a network namespace of our own, lo is the host's: leave it alone.
  if (ctx.namespaces && !ctx.namespaces.includes('net')) return;
  if (cfg.loopback !== false) bringUpLoopback();
  if (cfg.pingGroupRange !== false) {
    setPingGroupRange(cfg.pingGroupRange);
  }
}

export default setup;
