#!/usr/bin/env -S node --single-threaded --expose-gc --no-opt --no-sparkplug --regexp-interpret-all
// The `rootless` command. Started with --single-threaded (this line; `node --single-threaded
// cli.js` by hand), V8 runs no background threads, and `run` starts the container from this
// very process (spawn's inProcess: one Node start-up in all). Started otherwise, `run` needs a
// launcher, a second Node process, whose start-up would begin only once this process has loaded
// the whole CLI and planned the container: it is then started first, before the rest of the CLI
// is even loaded, so that the two start-ups overlap wherever a second core is free.
// --expose-gc: the in-process spawn collects the young generation before its clone, and the
// global gc saves loading node:v8 (and with it Node's streams) for that. --no-opt: no optimizing
// compiler (TurboFan), which under --single-threaded compiles on the main thread; a command this
// short gains nothing from it and it took 3.8 MiB of a run's peak memory and 2-3 ms (a 40 MB
// image pulled no slower without it; packages/namespaces/README.md, Performance).
// --no-sparkplug: nor the baseline compiler, for the same reasons: 0.9 MiB of a run's peak, no
// time (the same image pulled no slower either). --regexp-interpret-all: regular expressions
// run in V8's bytecode interpreter, never compiled to machine code: a run's few short matches
// do not need it, and compiled ones took the code space's first 256 KiB page (0.2 MiB of a
// run's peak).
import { earlyNetwork, startHolderEarly } from './early-holder.js';
import { startLauncherEarly, wantsEarlyLauncher } from './early-launcher.js';

// Young-generation collections once the modules are loaded (with --expose-gc, this line's flag):
// the first keeps what the loading left alive, the second promotes it to the old generation (an
// object is promoted when it survives a second collection), while little else is alive. Without
// them, the run's own short-lived objects would make the young generation grow. With a holder
// started early, its own collection before its clone is the second. About 0.7 ms and 0.5 ms;
// 0.4 MiB less peak memory with `--network none`, and 0.15-0.5 with pasta. A full collection
// instead saved 0.1-0.15 MiB more, for 3.5 ms (packages/namespaces/README.md, Performance).
const gc = (globalThis as { gc?: (o: { type: 'minor' }) => void }).gc;
gc?.({ type: 'minor' });

let holderStarted = false;
if (wantsEarlyLauncher(process.argv)) startLauncherEarly();
else {
  // --single-threaded: the container's holder and network helper, before the rest is loaded.
  const network = earlyNetwork(process.argv);
  if (network) holderStarted = startHolderEarly(network);
}
if (!holderStarted) gc?.({ type: 'minor' });
// Not a top-level await: the CLI is built as CommonJS (tsup.config.ts).
void import('./main.js').then(({ main }) => main());
