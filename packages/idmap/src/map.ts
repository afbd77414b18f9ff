import { IdMapError } from './errors.js';
import { ID_LIMIT, MAP_WRITE_LIMIT, MAX_ID, MAX_MAP_LINES } from './limits.js';
import type { IdRange } from './subid.js';

/**
 * One line of a uid_map or gid_map: ids `containerId … containerId+count-1` inside the
 * namespace are host ids `hostId … hostId+count-1` (the kernel's "ID-inside-ns ID-outside-ns
 * length").
 */
export interface IdMapLine {
  containerId: number;
  hostId: number;
  count: number;
}

/** A whole uid_map or gid_map, in the order its lines are written. */
export type IdMap = IdMapLine[];

/** The container id the invoking user's id maps to when none is chosen (podman uses 0; the
 * series uses 1100 so that a user created in the image with that id owns the session). */
export const DEFAULT_CONTAINER_ID = 1100;

export interface IdMapRequest {
  /** The invoking user's host id (its uid for a uid map, its gid for a gid map). */
  hostId: number;
  /**
   * The container id the host id maps to. Default 1100; 0 makes the user root inside; `null`
   * maps no line for the user, and the subordinate ranges then fill ids from 0 with no gap.
   */
  containerId?: number | null;
  /** The user's subordinate ranges, in the order they are used (file order). */
  ranges: readonly IdRange[];
}

/**
 * The mapping rule of step 4. The user's own id comes first (`containerId hostId 1`), then the
 * subordinate ranges fill container ids 0, 1, 2, … in order, skipping `containerId` (a range
 * that straddles it is split in two). Filling stops at 2^32-2, the largest mappable id: ids of
 * a range beyond that stay unmapped. The result is validated (validateIdMap).
 *
 * Example: `{ hostId: 1001, ranges: [{ start: 100000, count: 65536 }] }` gives
 * `1100 1001 1`, `0 100000 1100`, `1101 101100 64436`.
 */
export function computeIdMap(request: IdMapRequest): IdMap {
  const containerId =
    request.containerId === undefined ? DEFAULT_CONTAINER_ID : request.containerId;
  checkId('host id', request.hostId);
  if (containerId !== null) checkId('container id', containerId);
  const map: IdMap = [];
  if (containerId !== null) map.push({ containerId, hostId: request.hostId, count: 1 });

  let next = 0; // the next free container id
  for (const range of request.ranges) {
    checkRange(range);
    let host = range.start;
    let left = range.count;
    while (left > 0 && next < ID_LIMIT) {
      if (next === containerId) next++;
      if (next >= ID_LIMIT) break;
      // Up to the skipped id when it lies ahead, else up to the last mappable id.
      const stop = containerId !== null && containerId > next ? containerId : ID_LIMIT;
      const n = Math.min(left, stop - next);
      map.push({ containerId: next, hostId: host, count: n });
      next += n;
      host += n;
      left -= n;
    }
  }
  validateIdMap(map);
  return map;
}

/** The single mapping of step 2: the host id alone, as `containerId` (default 0, root). */
export function singleIdMap(hostId: number, containerId = 0): IdMap {
  checkId('host id', hostId);
  checkId('container id', containerId);
  return [{ containerId, hostId, count: 1 }];
}

/**
 * Checks a map as the kernel will: at least one line, at most 340, integer ids whose ranges end
 * by 2^32-1 on both sides, no two lines overlapping inside or outside the namespace, and a text
 * shorter than a page. Throws IdMapError.
 */
export function validateIdMap(map: readonly IdMapLine[]): void {
  if (map.length === 0) throw new IdMapError('ERR_ID_EMPTY', 'id map is empty');
  if (map.length > MAX_MAP_LINES) {
    throw new IdMapError(
      'ERR_ID_TOO_MANY',
      `id map has ${map.length} lines; the kernel accepts at most ${MAX_MAP_LINES}`,
    );
  }
  for (const line of map) {
    checkId('container id', line.containerId);
    checkId('host id', line.hostId);
    if (!Number.isSafeInteger(line.count) || line.count < 1) {
      throw new IdMapError('ERR_ID_RANGE', `count ${line.count} is not a positive integer`);
    }
    for (const [side, first] of [
      ['container', line.containerId],
      ['host', line.hostId],
    ] as const) {
      if (first + line.count > ID_LIMIT) {
        throw new IdMapError(
          'ERR_ID_RANGE',
          `${side} ids ${first}+${line.count} go past ${MAX_ID}, the largest mappable id`,
        );
      }
    }
  }
  for (const side of ['containerId', 'hostId'] as const) {
    const sorted = [...map].sort((a, b) => a[side] - b[side]);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!;
      const b = sorted[i]!;
      if (a[side] + a.count > b[side]) {
        throw new IdMapError(
          'ERR_ID_OVERLAP',
          `id map lines "${formatLine(a)}" and "${formatLine(b)}" overlap on the ${
            side === 'hostId' ? 'host' : 'container'
          } side`,
        );
      }
    }
  }
  const bytes = formatIdMap(map).length;
  if (bytes >= MAP_WRITE_LIMIT) {
    throw new IdMapError(
      'ERR_ID_TOO_MANY',
      `id map text is ${bytes} bytes; the kernel accepts less than ${MAP_WRITE_LIMIT}`,
    );
  }
}

/** The id inside the namespace that a host id appears as, or undefined (shown as the overflow
 * id, nobody, 65534). */
export function toContainerId(map: readonly IdMapLine[], hostId: number): number | undefined {
  for (const l of map) {
    if (hostId >= l.hostId && hostId < l.hostId + l.count)
      return l.containerId + (hostId - l.hostId);
  }
  return undefined;
}

/** The host id behind an id inside the namespace, or undefined when it is not mapped. */
export function toHostId(map: readonly IdMapLine[], containerId: number): number | undefined {
  for (const l of map) {
    if (containerId >= l.containerId && containerId < l.containerId + l.count) {
      return l.hostId + (containerId - l.containerId);
    }
  }
  return undefined;
}

/** The total number of ids a map maps. */
export function mappedCount(map: readonly IdMapLine[]): number {
  return map.reduce((n, l) => n + l.count, 0);
}

function formatLine(l: IdMapLine): string {
  return `${l.containerId} ${l.hostId} ${l.count}`;
}

/** The text written to uid_map/gid_map: one `containerId hostId count` line each. */
export function formatIdMap(map: readonly IdMapLine[]): string {
  return map.map((l) => `${formatLine(l)}\n`).join('');
}

/** The arguments newuidmap/newgidmap take after the pid: the lines' numbers, flattened. */
export function helperArgs(map: readonly IdMapLine[]): string[] {
  return map.flatMap((l) => [String(l.containerId), String(l.hostId), String(l.count)]);
}

/**
 * The map as /proc/<pid>/uid_map shows it once written: each number right-aligned in 10
 * columns, and, past 5 lines (UID_GID_MAP_MAX_BASE_EXTENTS), the lines sorted by container id,
 * because the kernel then keeps them in a sorted array.
 */
export function formatProcIdMap(map: readonly IdMapLine[]): string {
  const lines = map.length > 5 ? [...map].sort((a, b) => a.containerId - b.containerId) : map;
  const col = (n: number) => String(n).padStart(10);
  return lines.map((l) => `${col(l.containerId)} ${col(l.hostId)} ${col(l.count)}\n`).join('');
}

/**
 * Parses the text of /proc/<pid>/uid_map (or of a map written by hand): lines of three
 * numbers separated by white space. Throws IdMapError('ERR_MAP_READ') on anything else.
 */
export function parseIdMap(text: string): IdMap {
  const map: IdMap = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    if (f.length !== 3 || !f.every((x) => /^[0-9]+$/.test(x))) {
      throw new IdMapError(
        'ERR_MAP_READ',
        `id map line ${i + 1} is not "inside outside count": ${raw}`,
      );
    }
    const [containerId, hostId, count] = f.map(Number) as [number, number, number];
    map.push({ containerId, hostId, count });
  }
  return map;
}

function checkId(what: string, id: number): void {
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_ID) {
    throw new IdMapError('ERR_ID_RANGE', `${what} ${id} is not an id from 0 to ${MAX_ID}`);
  }
}

function checkRange(r: IdRange): void {
  checkId('subordinate id', r.start);
  if (!Number.isSafeInteger(r.count) || r.count < 1 || r.start + r.count > ID_LIMIT) {
    throw new IdMapError(
      'ERR_ID_RANGE',
      `subordinate range ${r.start}+${r.count} is not a valid range`,
    );
  }
}
