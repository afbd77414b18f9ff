import {
  applyIdMap,
  type IdMap,
  type IdMapPlan,
  type IdMapPlanRequest,
  planIdMaps,
} from '@rootless-ts/idmap';
import type { IdMapper } from './spawn.js';

/** An IdMapper applying fixed uid and gid maps (newuidmap/newgidmap, or written directly). */
export function mapIds(maps: { uidMap: IdMap; gidMap: IdMap }): IdMapper {
  return async (pid) => {
    await applyIdMap(pid, 'uid', maps.uidMap);
    await applyIdMap(pid, 'gid', maps.gidMap);
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
