import { createLauncherPool, type LauncherPool } from '@rootless-ts/namespaces';

let early: LauncherPool | undefined;

/** Whether this command line starts a container (`rootless run …`, not its --help). */
export function wantsEarlyLauncher(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  return args[0] === 'run' && !args.includes('--help') && !args.includes('-h');
}

/**
 * Starts the launcher of the one container this process will run, now, in the background: a
 * pool of one that never refills (taking its launcher closes it). It dies with this process
 * if no spawn takes it (the pool's launchers watch their parent).
 */
export function startLauncherEarly(): void {
  const pool = createLauncherPool({ size: 1 });
  early = {
    size: pool.size,
    nodePath: pool.nodePath,
    take() {
      const launcher = pool.take();
      // Before the refill that take() schedules: this process runs one container.
      void pool.close();
      return launcher;
    },
    ready: () => pool.ready(),
    close: () => pool.close(),
  };
}

/** The launcher started early, for spawn()'s `pool` option; undefined if none was started. */
export function earlyLauncher(): LauncherPool | undefined {
  return early;
}

/** Kills the early launcher if no spawn took it (a run that failed before starting anything). */
export async function discardEarlyLauncher(): Promise<void> {
  await early?.close();
}
