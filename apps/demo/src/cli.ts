#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { printCurrentCaps, showCaps } from './caps.js';
import { installDebian } from './debian.js';
import { errorLine, SETUP_FAILED } from './errors.js';
import { parseRunRequest, type RawRunOptions } from './options.js';
import { makeBusyboxRoot } from './rootfs.js';
import { runContainer, say } from './run.js';
import { usageErrorLine } from './usage.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The `rootless` command line (commander), with every error as one `rootless: …` line and 125. */
export function buildProgram(exit: (code: number) => void): Command {
  const program = new Command('rootless')
    .description('Rootless Linux containers from TypeScript (rootless-ts)')
    .version(version(), '-V, --version')
    .showHelpAfterError(false)
    .enablePositionalOptions()
    .configureOutput({
      outputError: (str) => say(usageErrorLine(str)),
    })
    .exitOverride();

  program
    .command('run')
    .description('run COMMAND in a new rootless container')
    .usage('[options] [--] COMMAND [ARG...]')
    .argument('<command...>', 'the command and its arguments')
    .passThroughOptions()
    .option('-r, --root <dir>', "root filesystem (default: the host's files, own /proc)")
    .option('--hostname <name>', 'hostname inside')
    .option(
      '-u, --user <user[:group]>',
      "user inside, by name or id, from the container's /etc/passwd",
    )
    .option('--map-uid <n>', "container uid of the invoking user's uid", '1100')
    .option('--map-gid <n>', "container gid of the invoking user's gid", '1100')
    .option(
      '-v, --volume <host:cont[:ro|rw]>',
      'bind mount (repeatable; read-only by default; needs --root)',
      collect,
    )
    .option(
      '-e, --env <name=value>',
      'environment variable (repeatable; NAME alone: the host value)',
      collect,
    )
    .option('-w, --workdir <dir>', "working directory inside (default: the user's home)")
    .option('-t, --tty', "allocate a pseudo-terminal from the container's devpts")
    .option(
      '--cap-add <caps>',
      'add capabilities (podman names, with or without CAP_, ALL; repeatable, comma-separated)',
      collect,
    )
    .option('--cap-drop <caps>', 'drop capabilities (as --cap-add; ALL drops every one)', collect)
    .option(
      '--security-opt <opt>',
      "seccomp=unconfined or seccomp=FILE.json (default: podman's profile); repeatable",
      collect,
    )
    .option('-i, --interactive', 'keep standard input attached (always so here; as in podman)')
    .option('--rm', 'remove the container when it exits (always so: nothing is kept; as in podman)')
    .option(
      '--network <mode>',
      'none, host, pasta or slirp4netns (default: pasta, else slirp4netns, else none)',
    )
    .addOption(new Option('--net <mode>', 'same as --network').hideHelp())
    .option('-p, --publish <[ip:][hostport:]port[/proto]>', 'publish a port (repeatable)', collect)
    .option('--dns <ip>', 'DNS server in /etc/resolv.conf (repeatable; with --root)', collect)
    .option('--add-host <name:ip>', 'line in /etc/hosts (repeatable; with --root)', collect)
    .action(async (command: string[], opts: RawRunOptions) => {
      let code: number;
      try {
        const req = parseRunRequest(opts, command, { cwd: process.cwd(), hostEnv: process.env });
        code = await runContainer(req);
      } catch (e) {
        say(errorLine(e));
        code = SETUP_FAILED;
      }
      exit(code);
    });

  program
    .command('caps')
    .description(
      'show the capabilities of a process in a fresh user namespace (libcap text form), before and after execve',
    )
    .addOption(new Option('--current <label>', "print this process's capabilities").hideHelp())
    .action(async (opts: { current?: string }) => {
      if (opts.current !== undefined) {
        printCurrentCaps(opts.current);
        exit(0);
        return;
      }
      exit(await showCaps());
    });

  const rootfs = program.command('rootfs').description('make root filesystems');
  rootfs
    .command('busybox')
    .description("make a root filesystem from the host's busybox-static (no download)")
    .argument('<dir>', 'directory to create (must be missing or empty)')
    .action((dir: string) => {
      try {
        const root = makeBusyboxRoot(dir);
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
    .action(async (dir: string, opts: { suite?: string; mirror?: string }) => {
      try {
        exit(
          await installDebian(
            dir,
            opts,
            (req) => runContainer(req, { requireSubordinate: true }),
            say,
          ),
        );
      } catch (e) {
        say(errorLine(e));
        exit(SETUP_FAILED);
      }
    });
  return program;
}

async function main(): Promise<void> {
  const exit = (code: number) => {
    process.exitCode = code;
    // Streams we relayed may keep the loop alive: leave once stdout is flushed.
    process.stdout.write('', () => process.exit(code));
  };
  const program = buildProgram(exit);
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; usage errors have printed their line already.
      exit(e.exitCode === 0 ? 0 : SETUP_FAILED);
      return;
    }
    say(errorLine(e));
    exit(SETUP_FAILED);
  }
}

await main();
