import { STANDARD_PATH } from '@rootless-ts/namespaces';

/** The PATH every container gets (podman's and docker's default). */
export { STANDARD_PATH };

export interface EnvInput {
  /** The host's TERM, when it has one: the terminal is the host's. */
  term?: string;
  home: string;
  hostname: string;
  /** `-e` values, in order; later ones win. */
  extra: Array<[string, string]>;
}

/**
 * The container's environment, rebuilt rather than inherited (no host variable leaks in): PATH, HOSTNAME,
 * TERM from the host, HOME, then what the user asked for with `-e` (which may override any).
 */
export function buildEnv(input: EnvInput): Record<string, string> {
  const env: Record<string, string> = { PATH: STANDARD_PATH, HOSTNAME: input.hostname };
  if (input.term !== undefined && input.term !== '') env.TERM = input.term;
  env.HOME = input.home;
  for (const [k, v] of input.extra) env[k] = v;
  return env;
}
