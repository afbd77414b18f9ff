/**
 * What `rootless run` does once its command line is read (by commander, program.ts, or without
 * it, fast-run.ts): an image's container, or a command on the host's files or a root.
 */
import { errorLine, SETUP_FAILED } from './errors.js';
import type { RawImageRunOptions } from './image.js';
import { parseRunRequest } from './options.js';
import { runContainer, say } from './run.js';

/** The options that only an image's container takes. */
const IMAGE_ONLY = ['entrypoint', 'tlsVerify', 'platform', 'authfile', 'creds'] as const;

/** Runs `rootless run [options] COMMAND…` and exits with its status. */
export async function runCommand(
  command: string[],
  opts: RawImageRunOptions,
  exit: (code: number) => void,
): Promise<void> {
  let code: number;
  if (opts.root === undefined && command[0] !== undefined) {
    const image = await import('./image-arg.js');
    const envPath = opts.env?.find((e) => e.startsWith('PATH='))?.slice('PATH='.length);
    const kind = image.imageArgumentKind(command[0], {
      inStore: image.inDefaultStore,
      onPath: (n) => image.onContainerPath(n, envPath),
    });
    if (kind !== 'command') {
      exit(
        // `IMAGE -- COMMAND`: the separator is passed through after the first positional.
        await (await import('./image.js')).runImage(
          command[0],
          command.slice(command[1] === '--' ? 2 : 1),
          opts,
          { cwd: process.cwd(), hostEnv: process.env },
          { guessed: kind === 'guess' },
        ),
      );
      return;
    }
  }
  for (const o of IMAGE_ONLY) {
    if (opts[o] !== undefined) {
      say(`rootless: --${o === 'tlsVerify' ? 'tls-verify' : o}: only with an IMAGE`);
      exit(SETUP_FAILED);
      return;
    }
  }
  try {
    const req = parseRunRequest(opts, command, { cwd: process.cwd(), hostEnv: process.env });
    code = await runContainer(req);
  } catch (e) {
    say(errorLine(e));
    code = SETUP_FAILED;
  }
  exit(code);
}
