import {
  applyIdMap,
  findHelper,
  helperArgs,
  type IdKind,
  type IdMap,
  IdMapError,
  type IdMapPlan,
  type IdMapPlanRequest,
  planIdMaps,
  validateIdMap,
} from '@rootless-ts/idmap';
import { runHelper } from './run-helper.js';
import type { IdMapper } from './spawn.js';

/**
 * Writes one map of the child `pid`: directly when this process may (root, or the single line
 * of its own id: applyIdMap does that), else through newuidmap/newgidmap started by
 * posix_spawn (runHelper), which does not hold the event loop while the Node process is copied
 * as child_process.spawn (applyIdMap's execFile) does. A helper that is missing or not
 * privileged is left to applyIdMap, which says so in its own words.
 */
async function applyMap(pid: number, kind: IdKind, map: IdMap): Promise<void> {
  validateIdMap(map);
  const own = kind === 'uid' ? process.geteuid!() : process.getegid!();
  const direct =
    process.geteuid!() === 0 || (map.length === 1 && map[0]!.count === 1 && map[0]!.hostId === own);
  const helper = direct ? undefined : findHelper(kind);
  if (!helper || helper.privilege === 'none') {
    await applyIdMap(pid, kind, map);
    return;
  }
  const r = await runHelper(helper.path, [helper.name, String(pid), ...helperArgs(map)]);
  if (r.code === 0) return;
  // The helper's own words say what it refused (a range not in /etc/subuid, a gone process…).
  const said = r.stderr.trim();
  const how =
    r.code !== null ? `exit status ${r.code}` : r.signal ? `killed by ${r.signal}` : 'status lost';
  throw new IdMapError(
    'ERR_HELPER_FAILED',
    `${helper.name} ${pid} failed (${how}): ${said || 'no message'}`,
    { helperMessage: said, exitCode: r.code },
  );
}

/**
 * An IdMapper applying fixed uid and gid maps (newuidmap/newgidmap, or written directly).
 * Both at once: they write different files (uid_map, gid_map), and newgidmap, setuid root, is
 * not held back by the setgroups rule that orders a direct write. If either fails the spawn
 * fails (and its child is killed) whatever the other did; the uid error is reported first so
 * that the message does not depend on which helper finished first.
 */
export function mapIds(maps: { uidMap: IdMap; gidMap: IdMap }): IdMapper {
  return async (pid) => {
    const [uid, gid] = await Promise.allSettled([
      applyMap(pid, 'uid', maps.uidMap),
      applyMap(pid, 'gid', maps.gidMap),
    ]);
    if (uid.status === 'rejected') throw uid.reason;
    if (gid.status === 'rejected') throw gid.reason;
  };
}

/**
 * The usual rootless mapping (the user as 1100 inside by default, its subordinate ids around
 * it): the invoking user's subordinate ids through
 * newuidmap/newgidmap, or the single mapping (the user as root inside) when it has none.
 * Returns the plan too, so the caller can print its fallback reason.
 */
export function rootlessIdMap(request: IdMapPlanRequest = {}): {
  plan: IdMapPlan;
  idmap: IdMapper;
} {
  const plan = planIdMaps(request);
  return { plan, idmap: mapIds(plan) };
}
