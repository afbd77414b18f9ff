import {
  applyIdMap,
  type IdMap,
  type IdMapPlan,
  type IdMapPlanRequest,
  planIdMaps,
} from '@rootless-ts/idmap';
import type { IdMapper } from './spawn.js';

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
      applyIdMap(pid, 'uid', maps.uidMap),
      applyIdMap(pid, 'gid', maps.gidMap),
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
