import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SpawnError } from './errors.js';

/** The launcher script: beside the built library, or, from the sources, in dist. */
export function launcherPath(): string {
  const beside = fileURLToPath(new URL('./launcher.js', import.meta.url));
  if (existsSync(beside)) return beside;
  // Running from the sources (unit tests): use the built launcher.
  const built = fileURLToPath(new URL('../dist/launcher.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new SpawnError({
    step: 'launcher',
    message: `launcher script not found at ${beside}; build the package`,
  });
}
