/** One line of a uid_map or gid_map. */
export interface MapLine {
  containerId: number;
  hostId: number;
  count: number;
}

/**
 * The arguments of util-linux `unshare` (2.38 or later) removing `name`, a path relative to the
 * working directory it is started in, as root of a user namespace that maps the same host ids as
 * the store's mapping: the user as root (`--map-root-user`), its subordinate range after it
 * (`--map-users`, through newuidmap). Which container id a host id gets does not matter to rm;
 * that every owner in the tree is mapped does (root inside then may search, read and unlink
 * anything in it). Undefined when this `unshare` cannot express the mapping (host ranges that
 * are not contiguous: one `--map-users` only before util-linux 2.39): the caller uses its own
 * helper then.
 */
export function unshareRemoveArgs(
  maps: { uidMap: readonly MapLine[]; gidMap: readonly MapLine[] },
  user: { uid: number; gid: number },
  name: string,
): string[] | undefined {
  if (name === '' || name.startsWith('-') || name.includes('/')) return undefined;
  const args = ['--map-root-user'];
  for (const [lines, self, flag] of [
    [maps.uidMap, user.uid, '--map-users'],
    [maps.gidMap, user.gid, '--map-groups'],
  ] as const) {
    if (!lines.some((l) => l.hostId === self && l.count === 1)) return undefined;
    const others = hostRanges(lines.filter((l) => l.hostId !== self));
    if (others.length > 1) return undefined;
    // outer id, inner id, count: inner ids from 1, since the user is 0.
    for (const r of others) args.push(`${flag}=${r.hostId},1,${r.count}`);
  }
  return [...args, '--', 'rm', '-rf', '--', name];
}

/**
 * The host ids of map lines as few ranges as possible: the lines the container-id rule splits
 * (`0 100000 1100` and `1101 101100 64436` around the user's 1100) are one subordinate range.
 */
export function hostRanges(lines: readonly MapLine[]): Array<{ hostId: number; count: number }> {
  const out: Array<{ hostId: number; count: number }> = [];
  for (const l of [...lines].sort((a, b) => a.hostId - b.hostId)) {
    const last = out.at(-1);
    if (last && last.hostId + last.count === l.hostId) last.count += l.count;
    else out.push({ hostId: l.hostId, count: l.count });
  }
  return out;
}

/**
 * Runs `unshare ARGS` in `cwd`; true when it exited 0. Any failure (no unshare, an unshare too
 * old for these options, newuidmap refusing, rm failing) gives false: the caller falls back.
 */
export function runUnshare(args: readonly string[], cwd: string): Promise<boolean> {
  return new Promise((resolve) => {
    const p = process.getBuiltinModule('node:child_process').spawn('unshare', args, {
      cwd,
      stdio: 'ignore',
      // unshare runs newuidmap/newgidmap and rm through PATH.
      env: { PATH: process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
  });
}
