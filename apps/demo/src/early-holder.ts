import { type PreparedSpawn, prepareSpawn, runsSingleThreaded } from '@rootless-ts/namespaces';
import {
  defaultNetworkMode,
  helperOf,
  NETWORK_MODES,
  type NetworkMode,
} from '@rootless-ts/network';

let early: PreparedSpawn | undefined;

/**
 * The network a `rootless run` command line lets start early, or undefined: when it will start
 * its container from this process (Node runs --single-threaded) with a network helper (pasta,
 * slirp4netns: the default, or a plain `--network` mode), its holder and helper can start before
 * the rest of the CLI is even loaded, and pasta's start-up (20-30 ms) then runs while the command
 * line is parsed and the container planned. A network without a helper gains nothing (measured:
 * the id maps started early as well saved nothing either). Conservative: a port to publish (`-p`,
 * `--publish`, a cluster of short flags with a `p`), help, or a `--network` that is not a plain
 * mode rule it out. Only the words before `--` are read. The run takes what was started only
 * when it is what it would start itself; otherwise it is discarded.
 */
export function earlyNetwork(
  argv: readonly string[],
  singleThreaded = runsSingleThreaded(),
  defaultMode: () => NetworkMode = () => defaultNetworkMode().mode,
): NetworkMode | undefined {
  const args = argv.slice(2);
  if (!singleThreaded || args[0] !== 'run') return undefined;
  const end = args.indexOf('--');
  const words = end < 0 ? args.slice(1) : args.slice(1, end);
  let mode: NetworkMode | undefined;
  for (const [i, w] of words.entries()) {
    if (/^--(publish|help)(=|$)/.test(w) || /^-[^-]*[ph]/.test(w)) return undefined;
    const net = /^--(net|network)(?:=(.*))?$/.exec(w);
    if (net) {
      const given = net[2] ?? words[i + 1] ?? '';
      if (!(NETWORK_MODES as readonly string[]).includes(given)) return undefined;
      mode = given as NetworkMode;
    }
  }
  mode ??= defaultMode();
  return helperOf(mode) ? mode : undefined;
}

/**
 * Starts the holder and the network now (`prepareSpawn`); `run` hands them to its spawn, which
 * takes them when they are what it would start and discards them otherwise. A failure here is no
 * failure: the spawn starts its own, and says what is wrong. Returns whether it started.
 */
export function startHolderEarly(network: NetworkMode): boolean {
  try {
    early = prepareSpawn({ network });
  } catch {
    early = undefined;
  }
  return early !== undefined;
}

/** The holder started early, for spawn()'s `prepared` option, once: the spawn owns it then. */
export function takeEarlyHolder(): PreparedSpawn | undefined {
  const taken = early;
  early = undefined;
  return taken;
}

/** Kills a holder started early that no spawn took (the run failed before it, or --help). */
export async function discardEarlyHolder(): Promise<void> {
  await takeEarlyHolder()?.discard();
}
