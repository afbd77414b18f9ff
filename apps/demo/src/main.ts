import { discardEarlyHolder } from './early-holder.js';
import { discardEarlyLauncher } from './early-launcher.js';
import { errorLine, SETUP_FAILED } from './errors.js';
import { fastRunArguments } from './fast-run.js';
import { say } from './run.js';
import { runCommand } from './run-command.js';

/**
 * Runs the command line of this process (`rootless …`) and exits with its status. A plain
 * `run` command line is read without commander (fast-run.ts); any other, and help and usage
 * errors, by commander (program.ts, loaded only then).
 */
export async function main(): Promise<void> {
  const exit = (code: number) => {
    process.exitCode = code;
    // Streams we relayed may keep the loop alive: leave once a launcher or holder started early
    // that no container took is gone (nothing is left behind). Nothing written to stdout is pending:
    // on Linux its writes are synchronous (files, pipes and terminals alike), and touching
    // process.stdout to flush it would make the stream (node:net, node:tty) on every run.
    void Promise.all([discardEarlyLauncher(), discardEarlyHolder()]).finally(() =>
      process.exit(code),
    );
  };
  try {
    const run = fastRunArguments(process.argv);
    if (run) await runCommand(run.command, run.opts, exit);
    else await (await import('./program.js')).runProgram(process.argv, exit);
  } catch (e) {
    say(errorLine(e));
    exit(SETUP_FAILED);
  }
}
