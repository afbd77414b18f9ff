import { type PreparedSpawn, prepareSpawn, runsSingleThreaded } from '@rootless-ts/namespaces';
import { defaultNetworkMode } from '@rootless-ts/network';

let early: PreparedSpawn | undefined;

/**
 * Whether this command line is a `rootless run` that will start its container from this process
 * (Node runs --single-threaded) with the default network, so that the container's holder and
 * network can be started before the rest of the CLI is even loaded: pasta's start-up (20-30
 * ms) then runs while the command line is parsed and the container planned. Conservative: any
 * word before `--` that may name a network or publish a port (`--network`, `--net`, `-p`,
 * `--publish`, a cluster of short flags with a `p`), and `--help`, rule it out; the run then
 * starts its own, as it always could.
 */
export function wantsEarlyHolder(
  argv: readonly string[],
  singleThreaded = runsSingleThreaded(),
): boolean {
  const args = argv.slice(2);
  if (!singleThreaded || args[0] !== 'run') return false;
  const end = args.indexOf('--');
  const options = end < 0 ? args.slice(1) : args.slice(1, end);
  return !options.some(
    (a) => /^--(net|network|publish|help)(=|$)/.test(a) || /^-[^-]*[ph]/.test(a),
  );
}

/**
 * Starts the holder and the default network now (`prepareSpawn`); `run` hands them to its spawn,
 * which takes them when they are what it would start and discards them otherwise. A failure here
 * is no failure: the spawn starts its own, and says what is wrong.
 */
export function startHolderEarly(): void {
  try {
    early = prepareSpawn({ network: defaultNetworkMode().mode });
  } catch {
    early = undefined;
  }
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
