import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SpawnError } from './errors.js';

/**
 * The launcher script: beside the built library, the one-file CommonJS bundle (it starts
 * faster: no ES module loader), else an ESM `launcher.js` (what a bundler that inlined this
 * library and built its own launcher beside it has, like apps/demo); from the sources (unit
 * tests), the built one in dist.
 */
export function launcherPath(format: 'cjs' | 'esm' = 'cjs'): string {
  const names = format === 'cjs' ? ['launcher.cjs', 'launcher.js'] : ['launcher.js'];
  for (const candidate of [...names.map((n) => `./${n}`), `../dist/${names[0]}`]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  const beside = fileURLToPath(new URL(`./${names[0]}`, import.meta.url));
  throw new SpawnError({
    step: 'launcher',
    message: `launcher script not found at ${beside}; build the package`,
  });
}
