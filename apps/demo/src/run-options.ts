/**
 * The options of `rootless run`, as data: commander defines the command from this table
 * (program.ts), and the common command line is parsed from it without commander (fast-run.ts).
 * One table, so the two cannot drift apart.
 */

/** One option, in commander's spelling: `-r, --root <dir>` (a value), `[bool]` (an optional one). */
export interface RunOption {
  readonly flags: string;
  readonly description: string;
  /** Its value when the option is not given. */
  readonly defaultValue?: string;
  /** May be given again: the values are collected into an array. */
  readonly repeatable?: boolean;
  /** Left out of the help (an alias). */
  readonly hidden?: boolean;
}

export const RUN_OPTIONS: readonly RunOption[] = [
  {
    flags: '-r, --root <dir>',
    description: "root filesystem (default: the host's files, own /proc)",
  },
  { flags: '--hostname <name>', description: 'hostname inside' },
  {
    flags: '-u, --user <user[:group]>',
    description: "user inside, by name or id, from the container's /etc/passwd",
  },
  {
    flags: '--map-uid <n>',
    description: "container uid of the invoking user's uid",
    defaultValue: '1100',
  },
  {
    flags: '--map-gid <n>',
    description: "container gid of the invoking user's gid",
    defaultValue: '1100',
  },
  {
    flags: '-v, --volume <host:cont[:ro|rw]>',
    description: 'bind mount (repeatable; read-only by default; needs --root)',
    repeatable: true,
  },
  {
    flags: '-e, --env <name=value>',
    description: 'environment variable (repeatable; NAME alone: the host value)',
    repeatable: true,
  },
  {
    flags: '-w, --workdir <dir>',
    description: "working directory inside (default: the user's home)",
  },
  { flags: '-t, --tty', description: "allocate a pseudo-terminal from the container's devpts" },
  {
    flags: '--cap-add <caps>',
    description:
      'add capabilities (podman names, with or without CAP_, ALL; repeatable, comma-separated)',
    repeatable: true,
  },
  {
    flags: '--cap-drop <caps>',
    description: 'drop capabilities (as --cap-add; ALL drops every one)',
    repeatable: true,
  },
  {
    flags: '--security-opt <opt>',
    description: "seccomp=unconfined or seccomp=FILE.json (default: podman's profile); repeatable",
    repeatable: true,
  },
  {
    flags: '-i, --interactive',
    description: 'keep standard input attached (always so here; as in podman)',
  },
  {
    flags: '--rm',
    description: 'remove the container when it exits (always so: nothing is kept; as in podman)',
  },
  {
    flags: '--network <mode>',
    description: 'none, host, pasta or slirp4netns (default: pasta, else slirp4netns, else none)',
  },
  { flags: '--net <mode>', description: 'same as --network', hidden: true },
  {
    flags: '-p, --publish <[ip:][hostport:]port[/proto]>',
    description: 'publish a port (repeatable)',
    repeatable: true,
  },
  {
    flags: '--dns <ip>',
    description: 'DNS server in /etc/resolv.conf (repeatable; with --root)',
    repeatable: true,
  },
  {
    flags: '--add-host <name:ip>',
    description: 'line in /etc/hosts (repeatable; with --root)',
    repeatable: true,
  },
  // Images (image.ts): an IMAGE first, without --root, runs a container of that image.
  {
    flags: '--entrypoint <cmd>',
    description: "override the image's Entrypoint (a JSON array or one program)",
  },
  { flags: '--tls-verify [bool]', description: "verify the registry's certificate (pulls)" },
  {
    flags: '--platform <os/arch[/variant]>',
    description: 'platform to pull (default: this machine)',
  },
  { flags: '--authfile <file>', description: 'auth file for registries (pulls)' },
  { flags: '--creds <user:password>', description: 'registry credentials (pulls)' },
];

/** What a flags string says: its long and short names, its key in the options, its value. */
export interface OptionSpelling {
  /** `root` for `--root`. */
  readonly long: string;
  /** `r` for `-r`. */
  readonly short?: string;
  /** The options object's key, as commander makes it: `--map-uid` is `mapUid`. */
  readonly key: string;
  readonly value: 'none' | 'required' | 'optional';
}

/** Reads commander's spelling of an option (`-r, --root <dir>`); throws on any other. */
export function optionSpelling(flags: string): OptionSpelling {
  const m = /^(?:-([A-Za-z]), )?--([a-z][a-z-]*)(?: (<[^>]+>|\[[^\]]+\]))?$/.exec(flags);
  if (!m) throw new Error(`run option "${flags}" is not spelled as commander spells one`);
  const [, short, long, arg] = m as unknown as [string, string | undefined, string, string?];
  return {
    long,
    ...(short === undefined ? {} : { short }),
    key: long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
    value: arg === undefined ? 'none' : arg.startsWith('<') ? 'required' : 'optional',
  };
}
