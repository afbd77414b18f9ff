import { fileURLToPath } from 'node:url';
import { formatCaps, readProcCaps } from '@rootless-ts/capabilities';
import { spawn } from '@rootless-ts/namespaces';
import { errorLine, RootlessError, SETUP_FAILED } from './errors.js';
import { hookModulePath, say } from './run.js';

export const BEFORE_EXEC = 'in a new user namespace, before exec (uid 65534, unmapped): ';
export const AFTER_EXEC = 'after execve, still unmapped (uid 65534):                   ';

/**
 * `rootless caps` (step 1): a process in a fresh user namespace, without any id mapping, has
 * every capability there (`=ep`), which the setup hook prints before exec; the program it then
 * executes (this command again, `caps --current`) has none (`=`), because execve recomputes the
 * sets from the file and from the uid, and uid 65534 is not root in the namespace.
 */
export async function showCaps(): Promise<number> {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  try {
    const child = await spawn({
      argv: [process.execPath, cli, 'caps', '--current', AFTER_EXEC],
      env: {},
      namespaces: ['user'],
      setup: [{ module: hookModulePath(), config: { printCaps: BEFORE_EXEC } }],
      stdio: 'inherit',
    });
    const status = await child.exited;
    return status.code ?? SETUP_FAILED;
  } catch (e) {
    say(errorLine(new RootlessError('caps', { cause: e })));
    return SETUP_FAILED;
  }
}

/** `rootless caps --current LABEL`: this process's sets in libcap's text form. */
export function printCurrentCaps(label: string): void {
  process.stdout.write(`${label}${formatCaps(readProcCaps('self'))}\n`);
}
