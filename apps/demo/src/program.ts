import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { errorLine, SETUP_FAILED } from './errors.js';
import type { RawImageRunOptions, RawPullOptions } from './image.js';

/** `rootfs busybox --image`: the root as an image with a shell as its command. */
async function busyboxImage(root: string, layout: { dir: string; tag: string }): Promise<void> {
  const { busyboxOwners, packTree, writeImageLayout } = await import('./rootfs-image.js');
  await writeImageLayout(layout, {
    tar: () => packTree(root, busyboxOwners),
    config: { Cmd: ['/bin/sh'] },
  });
}

import { runContainer, say } from './run.js';
import { runCommand } from './run-command.js';
import { RUN_OPTIONS } from './run-options.js';
import { usageErrorLine } from './usage.js';

// The build writes the version in (tsup.config.ts): reading package.json took 1 ms of every
// start. Tests run the sources, which read it.
declare const __ROOTLESS_VERSION__: string | undefined;

function version(): string {
  if (typeof __ROOTLESS_VERSION__ === 'string') return __ROOTLESS_VERSION__;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const IMAGES_HELP = `
IMAGES: without --root, the first argument is an image when it has a transport prefix
(docker://, oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE), is in the store (rootless
images), names a registry, tag or digest (localhost:5000/x, alpine:3, x@sha256:...), or is not
a program on the host's PATH (alpine); otherwise it is a command on the host's files. With
--root, every argument is the command.`;

/** Adds one subcommand, with its options and action, to the program. */
type AddCommand = (program: Command, exit: (code: number) => void) => void;

/**
 * The `rootless` command line (commander), with every error as one `rootless: …` line and 125.
 * Given the process's `argv`, only the subcommand it names is defined (every definition costs
 * start-up time: about 1.5 ms for all of them); all of them otherwise, for help and for
 * commander's errors.
 */
export function buildProgram(exit: (code: number) => void, argv?: readonly string[]): Command {
  const program = new Command('rootless')
    .description('Rootless Linux containers from TypeScript (rootless-ts)')
    .version(version(), '-V, --version')
    .showHelpAfterError(false)
    .enablePositionalOptions()
    .configureOutput({
      outputError: (str) => say(usageErrorLine(str)),
    })
    .exitOverride();
  const asked = argv?.[2];
  const only = asked !== undefined && Object.hasOwn(COMMANDS, asked) ? asked : undefined;
  for (const [name, add] of Object.entries(COMMANDS)) {
    if (only === undefined || only === name) add(program, exit);
  }
  return program;
}

const addRun: AddCommand = (program, exit) => {
  const run = program
    .command('run')
    .description('run COMMAND in a new rootless container')
    .usage('[options] [--] [IMAGE] COMMAND [ARG...]')
    .argument('<command...>', 'an image (see IMAGES below) or the command, and its arguments')
    .passThroughOptions();
  for (const o of RUN_OPTIONS) {
    const option = new Option(o.flags, o.description);
    if (o.defaultValue !== undefined) option.default(o.defaultValue);
    if (o.repeatable) option.argParser(collect);
    if (o.hidden) option.hideHelp();
    run.addOption(option);
  }
  run
    .addHelpText('after', IMAGES_HELP)
    .action((command: string[], opts: RawImageRunOptions) => runCommand(command, opts, exit));
};

const addPull: AddCommand = (program, exit) => {
  program
    .command('pull')
    .description('pull an image into the store (~/.local/share/rootless-ts)')
    .argument('<image>', 'REF, docker://REF, oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE')
    .addOption(new Option('--tls-verify [bool]', "verify the registry's certificate"))
    .option('--platform <os/arch[/variant]>', 'platform to pull (default: this machine)')
    .option('--authfile <file>', 'auth file for registries')
    .option('--creds <user:password>', 'registry credentials')
    .action(async (spec: string, opts: RawPullOptions) => {
      const { pullCommand } = await import('./image.js');
      exit(await pullCommand(spec, opts));
    });
};

const addImages: AddCommand = (program, exit) => {
  program
    .command('images')
    .description('list the images in the store')
    .action(async () => {
      const { imagesCommand } = await import('./image.js');
      try {
        exit(imagesCommand());
      } catch (e) {
        say(errorLine(e));
        exit(SETUP_FAILED);
      }
    });
};

const addRmi: AddCommand = (program, exit) => {
  program
    .command('rmi')
    .description('remove images from the store')
    .argument('<image...>', 'names, ids or digests')
    .option('-f, --force', 'remove even when a container uses it')
    .action(async (refs: string[], opts: { force?: boolean }) => {
      const { rmiCommand } = await import('./image.js');
      exit(await rmiCommand(refs, opts));
    });
};

const addCaps: AddCommand = (program, exit) => {
  program
    .command('caps')
    .description(
      'show the capabilities of a process in a fresh user namespace (libcap text form), before and after execve',
    )
    .addOption(new Option('--current <label>', "print this process's capabilities").hideHelp())
    .action(async (opts: { current?: string }) => {
      const { printCurrentCaps, showCaps } = await import('./caps.js');
      if (opts.current !== undefined) {
        printCurrentCaps(opts.current);
        exit(0);
        return;
      }
      exit(await showCaps());
    });
};

const addRootfs: AddCommand = (program, exit) => {
  const rootfs = program.command('rootfs').description('make root filesystems');
  rootfs
    .command('busybox')
    .description("make a root filesystem from the host's busybox-static (no download)")
    .argument('<dir>', 'directory to create (must be missing or empty)')
    .option('--image <oci:LAYOUT[:TAG]>', 'also write it as an image into an OCI image layout')
    .action(async (dir: string, opts: { image?: string }) => {
      try {
        const layout =
          opts.image !== undefined
            ? (await import('./rootfs-image.js')).parseLayoutSpec(opts.image, process.cwd())
            : undefined;
        const { makeBusyboxRoot } = await import('./rootfs.js');
        const root = makeBusyboxRoot(dir);
        if (layout !== undefined) await busyboxImage(root, layout);
        process.stdout.write(`${root}\n`);
        exit(0);
      } catch (e) {
        say(errorLine(e));
        exit(SETUP_FAILED);
      }
    });
  rootfs
    .command('debian')
    .description(
      'install Debian (debootstrap --variant=minbase) as root inside a rootless container: needs subordinate ids',
    )
    .argument('<dir>', 'directory to create (must be missing or empty)')
    .option('--suite <name>', "Debian suite (default: this machine's codename)")
    .option('--mirror <url>', "Debian mirror (default: the one in this machine's apt sources)")
    .option('--image <oci:LAYOUT[:TAG]>', 'also write it as an image into an OCI image layout')
    .action(async (dir: string, opts: { suite?: string; mirror?: string; image?: string }) => {
      try {
        const layout =
          opts.image !== undefined
            ? (await import('./rootfs-image.js')).parseLayoutSpec(opts.image, process.cwd())
            : undefined;
        const { installDebian } = await import('./debian.js');
        const status = await installDebian(
          dir,
          {
            ...(opts.suite ? { suite: opts.suite } : {}),
            ...(opts.mirror ? { mirror: opts.mirror } : {}),
          },
          (req) => runContainer(req, { requireSubordinate: true }),
          say,
        );
        if (status === 0 && layout !== undefined) {
          const { userNamespaceTar, writeImageLayout } = await import('./rootfs-image.js');
          await writeImageLayout(layout, {
            tar: () => userNamespaceTar(resolve(dir)),
            config: { Cmd: ['bash'] },
          });
        }
        exit(status);
      } catch (e) {
        say(errorLine(e));
        exit(SETUP_FAILED);
      }
    });
};

/** The subcommands, in the order help lists them. */
const COMMANDS: Record<string, AddCommand> = {
  run: addRun,
  pull: addPull,
  images: addImages,
  rmi: addRmi,
  caps: addCaps,
  rootfs: addRootfs,
};

/**
 * Parses `argv` with commander and runs the command it names (main.ts reads a plain `run`
 * command line itself). Commander has printed its own usage errors; other errors go to the
 * caller.
 */
export async function runProgram(argv: string[], exit: (code: number) => void): Promise<void> {
  const program = buildProgram(exit, argv);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // --help and --version exit 0; usage errors have printed their line already.
    exit(e.exitCode === 0 ? 0 : SETUP_FAILED);
  }
}
