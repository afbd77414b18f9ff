/**
 * The setup hook of a private network, for @rootless-ts/namespaces' `setup` option:
 * `{ module: setupModule() }`. It runs synchronously in the container's child, in its new
 * network namespace, as root inside: brings `lo` up, opens ping to every mapped group and the
 * ports below 1024 to every user (the namespace is the container's own).
 */
import { bringUpLoopback, setPingGroupRange, setUnprivilegedPortStart } from './loopback.js';
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
  if (cfg.unprivilegedPortStart !== false) setUnprivilegedPortStart(cfg.unprivilegedPortStart ?? 0);
}

export default setup;
