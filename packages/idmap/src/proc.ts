import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { IdMapError } from './errors.js';
import type { IdKind } from './helper.js';
import { formatIdMap, type IdMap, parseIdMap } from './map.js';

/** `/proc/<pid>/uid_map` or `gid_map`. */
export function mapFile(pid: number | 'self', kind: IdKind): string {
  return `/proc/${pid}/${kind}_map`;
}

/** The raw text of a process's uid_map or gid_map, as the kernel prints it. */
export function readIdMapText(pid: number | 'self', kind: IdKind): string {
  try {
    return readFileSync(mapFile(pid, kind), 'utf8');
  } catch (err) {
    throw new IdMapError(
      'ERR_MAP_READ',
      `cannot read ${mapFile(pid, kind)}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** A process's uid_map or gid_map (empty until one is written). */
export function readIdMap(pid: number | 'self', kind: IdKind): IdMap {
  return parseIdMap(readIdMapText(pid, kind));
}

/**
 * Writes a whole file in one write(2) at offset 0: uid_map, gid_map and setgroups accept exactly
 * one write per open.
 */
function writeOnce(file: string, text: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'w');
    const buf = Buffer.from(text);
    // A plain write(2) from the fresh open's offset 0: setgroups refuses pwrite(2) (ESPIPE).
    const n = writeSync(fd, buf, 0, buf.length, null);
    if (n !== buf.length) throw new Error(`short write (${n} of ${buf.length} bytes)`);
  } catch (err) {
    throw new IdMapError('ERR_MAP_WRITE', `cannot write ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `deny` to /proc/<pid>/setgroups. An unprivileged process may write a gid_map only
 * after this, so that no process in the namespace can drop a group by setgroups(2) and gain
 * access that a negative group permission denied it.
 */
export function denySetgroups(pid: number | 'self'): void {
  writeOnce(`/proc/${pid}/setgroups`, 'deny');
}

/**
 * Writes a map straight to /proc/<pid>/{uid,gid}_map, without a helper. An unprivileged caller
 * (the process itself, or its parent in the namespace's parent) may write only a single line
 * mapping its own effective id, and for gids only after `deny` to setgroups: pass
 * `denySetgroups: true` (the default for gids when the map has a single line and the caller is
 * not root). Root may write any map.
 */
export function writeIdMap(
  pid: number | 'self',
  kind: IdKind,
  map: IdMap,
  options: { denySetgroups?: boolean } = {},
): void {
  const deny = options.denySetgroups ?? (kind === 'gid' && process.geteuid!() !== 0);
  if (kind === 'gid' && deny) denySetgroups(pid);
  writeOnce(mapFile(pid, kind), formatIdMap(map));
}
