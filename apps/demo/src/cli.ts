#!/usr/bin/env node
// The `rootless` command. Its `run` needs a launcher, a second Node process, whose start-up
// (about as long as this one's) would otherwise begin only once this process has loaded the
// whole CLI and planned the container. Started first, before the rest of the CLI is even
// loaded, the two start-ups overlap wherever a second core is free.
import { startLauncherEarly, wantsEarlyLauncher } from './early-launcher.js';

if (wantsEarlyLauncher(process.argv)) startLauncherEarly();
// Not a top-level await: the CLI is built as CommonJS (tsup.config.ts).
void import('./program.js').then(({ main }) => main());
