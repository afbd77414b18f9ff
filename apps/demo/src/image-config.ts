import { RootlessError } from './errors.js';

/** The part of an image config (`config` of the OCI image config) that `rootless run` applies. */
export interface ImageRunConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
}

/** What the command line overrides, as podman spells it. */
export interface ImageOverrides {
  /** `--entrypoint`: a JSON array, or one string (the program alone); '' clears the image's. */
  entrypoint?: string;
  /** COMMAND [ARG...] after the image; empty: the image's Cmd. */
  args: string[];
  user?: string;
  workdir?: string;
}

export interface AppliedImageConfig {
  command: string[];
  /** The image's Env as pairs, in order (the `-e` values come after them and win). */
  env: Array<[string, string]>;
  /** `-u`, else the image's User, else root (`0`). */
  user: string;
  /** `-w`, else the image's WorkingDir, else `/` (podman's default for images). */
  workdir: string;
}

/** `--entrypoint` as podman reads it: a JSON array when it parses as one, else one word. */
export function parseEntrypoint(value: string): string[] {
  if (value === '') return [];
  if (value.trimStart().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
    } catch {
      // Not JSON: the program's name as written, as podman takes it.
    }
  }
  return [value];
}

/**
 * The container's command, environment, user and working directory from the image config and
 * the overrides (pure), as podman decides them: the command is Entrypoint + (COMMAND if given,
 * else Cmd); `--entrypoint` replaces Entrypoint and drops the image's Cmd.
 */
export function applyImageConfig(
  image: string,
  config: ImageRunConfig | undefined,
  o: ImageOverrides,
): AppliedImageConfig {
  const c = config ?? {};
  const entrypoint =
    o.entrypoint !== undefined ? parseEntrypoint(o.entrypoint) : (c.Entrypoint ?? []);
  const cmd = o.args.length > 0 ? o.args : o.entrypoint !== undefined ? [] : (c.Cmd ?? []);
  const command = [...entrypoint, ...cmd];
  if (command.length === 0 || command[0] === '') {
    throw new RootlessError(image, 'the image has no Entrypoint or Cmd: give a command');
  }
  const env: Array<[string, string]> = [];
  for (const kv of c.Env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env.push([kv.slice(0, eq), kv.slice(eq + 1)]);
  }
  const out: Omit<AppliedImageConfig, 'user'> & { user?: string } = {
    command,
    env,
    workdir: o.workdir ?? (c.WorkingDir !== undefined && c.WorkingDir !== '' ? c.WorkingDir : '/'),
  };
  // Root by default, as podman runs an image whose config names no user.
  const user = o.user ?? (c.User !== undefined && c.User !== '' ? c.User : '0');
  return { ...out, user };
}
