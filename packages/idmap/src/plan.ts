import { userName } from '@rootless-ts/libc';
import { findHelper, type HelperInfo, helperName, type IdKind } from './helper.js';
import { computeIdMap, type IdMap, singleIdMap } from './map.js';
import { type IdRange, type SubidFiles, subordinateIds } from './subid.js';

/** Why the single mapping is used instead of the subordinate ids. */
export type FallbackCode =
  /** No range for the user in /etc/subuid (or the file is missing). */
  | 'no-subuid'
  /** No range for the user in /etc/subgid (or the file is missing). */
  | 'no-subgid'
  /** newuidmap/newgidmap is not on PATH. */
  | 'no-helper'
  /** newuidmap/newgidmap is on PATH but neither setuid root nor given file capabilities. */
  | 'helper-not-privileged';

export interface FallbackReason {
  code: FallbackCode;
  /** One line for the user, e.g. "alice has no subordinate uids in /etc/subuid". */
  message: string;
}

export interface IdMapPlanRequest {
  /** The invoking user; default: this process's real uid, gid and login name. */
  user?: { name?: string; uid: number; gid: number };
  /** Container id for the user's uid (default 1100; null: not mapped). */
  mapUid?: number | null;
  /** Container id for the user's gid (default 1100; null: not mapped). */
  mapGid?: number | null;
  /** Where /etc/subuid and /etc/subgid are (for tests). */
  files?: SubidFiles;
  /** The PATH searched for newuidmap/newgidmap (default: this process's). */
  path?: string;
}

/** What to apply: the maps, and how (see applyIdMap). */
export type IdMapPlan =
  | {
      mode: 'subordinate';
      uidMap: IdMap;
      gidMap: IdMap;
      helpers: { uid: HelperInfo; gid: HelperInfo };
      ranges: { uids: IdRange[]; gids: IdRange[] };
    }
  | {
      mode: 'single';
      uidMap: IdMap;
      gidMap: IdMap;
      /** Why: the caller prints `reason.message` as its one warning line. */
      reason: FallbackReason;
    };

/**
 * Decides how the invoking user's container is mapped. With subordinate uids and gids and both
 * helpers usable, the maps of step 4 (computeIdMap); otherwise the single mapping of step 2
 * (the user is root, 0, inside: what podman does without /etc/subuid), with the reason. The
 * first missing piece is the reason given, in this order: subuid, subgid, helpers. A malformed
 * /etc/subuid or /etc/subgid throws SubidParseError rather than falling back silently.
 */
export function planIdMaps(request: IdMapPlanRequest = {}): IdMapPlan {
  const user = request.user ?? currentUser();
  const who = user.name ?? `uid ${user.uid}`;
  const ranges = subordinateIds({ name: user.name, uid: user.uid }, request.files);
  const single = (reason: FallbackReason): IdMapPlan => ({
    mode: 'single',
    uidMap: singleIdMap(user.uid),
    gidMap: singleIdMap(user.gid),
    reason,
  });
  if (ranges.uids.length === 0) {
    const file = request.files?.subuid ?? '/etc/subuid';
    return single({ code: 'no-subuid', message: `${who} has no subordinate uids in ${file}` });
  }
  if (ranges.gids.length === 0) {
    const file = request.files?.subgid ?? '/etc/subgid';
    return single({ code: 'no-subgid', message: `${who} has no subordinate gids in ${file}` });
  }
  const helpers: Partial<Record<IdKind, HelperInfo>> = {};
  for (const kind of ['uid', 'gid'] as const) {
    const h = findHelper(kind, request.path);
    if (!h) {
      return single({ code: 'no-helper', message: `${helperName(kind)} not found on PATH` });
    }
    if (h.privilege === 'none') {
      return single({
        code: 'helper-not-privileged',
        message: `${h.path} is neither setuid root nor given file capabilities`,
      });
    }
    helpers[kind] = h;
  }
  return {
    mode: 'subordinate',
    uidMap: computeIdMap({ hostId: user.uid, containerId: request.mapUid, ranges: ranges.uids }),
    gidMap: computeIdMap({ hostId: user.gid, containerId: request.mapGid, ranges: ranges.gids }),
    helpers: { uid: helpers.uid!, gid: helpers.gid! },
    ranges,
  };
}

function currentUser(): { name?: string; uid: number; gid: number } {
  const uid = process.getuid!();
  const gid = process.getgid!();
  const name = userName(uid);
  // No passwd entry: match /etc/subuid by number only.
  return name === undefined ? { uid, gid } : { name, uid, gid };
}
