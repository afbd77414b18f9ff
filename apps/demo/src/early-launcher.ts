import { createLauncherPool, type LauncherPool, runsSingleThreaded } from '@rootless-ts/namespaces';

let early: LauncherPool | undefined;

/**
 * Whether this command line starts a container (`rootless run …`, not its --help) through a
 * launcher: not when Node runs --single-threaded, where the container starts from this process.
 */
export function wantsEarlyLauncher(
  argv: readonly string[],
  singleThreaded = runsSingleThreaded(),
): boolean {
  const args = argv.slice(2);
  if (singleThreaded) return false;
  return args[0] === 'run' && !args.includes('--help') && !args.includes('-h');
}

/**
 * Starts the launcher of the one container this process will run, now, in the background: a
 * pool of one. It dies with this process if nothing uses it (the pool's launchers watch their
 * parent); the run closes it once its spawn is over (discardEarlyLauncher).
 */
export function startLauncherEarly(): void {
  early = createLauncherPool({ size: 1 });
}

/** The launcher started early, for spawn()'s `pool` option; undefined if none was started. */
export function earlyLauncher(): LauncherPool | undefined {
  return early;
}

/**
 * Kills the early launcher, idle or given back after the spawn, and stops the pool from starting
 * another (it replaces a launcher a failed spawn killed): this process runs one container.
 */
export async function discardEarlyLauncher(): Promise<void> {
  await early?.close();
}
