import { IdMapError } from './errors.js';
import { findHelper, type HelperInfo, helperName, type IdKind, inspectHelper } from './helper.js';
import { helperArgs, type IdMap, validateIdMap } from './map.js';
import { writeIdMap } from './proc.js';

export interface ApplyOptions {
  /**
   * `helper` runs newuidmap/newgidmap; `direct` writes /proc/<pid>/*_map itself; `auto` (the
   * default) writes directly when it may (a single line mapping the caller's own id, or a
   * caller that is root) and uses the helper otherwise.
   */
  method?: 'auto' | 'helper' | 'direct';
  /** The PATH searched for the helper (default: this process's PATH). */
  path?: string;
  /** Use this helper executable instead of searching PATH. */
  helper?: string;
}

/** How a map was applied. */
export type AppliedBy = 'helper' | 'direct';

/**
 * Applies a uid or gid map to process `pid` (its host pid, seen from the caller, which must be
 * in the parent user namespace of the process's namespace or be the process itself). Several
 * lines need newuidmap/newgidmap, which check them against /etc/subuid and /etc/subgid; a
 * single line of the caller's own id is written directly (after `deny` to setgroups for gids).
 * Throws IdMapError: ENOHELPER, ENOTPRIVILEGED, EHELPER (with the helper's message), EWRITE.
 */
export async function applyIdMap(
  pid: number,
  kind: IdKind,
  map: IdMap,
  options: ApplyOptions = {},
): Promise<AppliedBy> {
  validateIdMap(map);
  if (chooseMethod(kind, map, options) === 'direct') {
    writeIdMap(pid, kind, map);
    return 'direct';
  }
  const helper = resolveHelper(kind, options);
  const args = [String(pid), ...helperArgs(map)];
  const result = await new Promise<{ code: number | null; stderr: string; error?: Error }>(
    (resolve) => {
      process
        .getBuiltinModule('node:child_process')
        .execFile(helper.path, args, { encoding: 'utf8' }, (error, _stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          resolve({ code, stderr, ...(error && code === null ? { error } : {}) });
        });
    },
  );
  checkHelperResult(helper, pid, result.code, result.stderr, result.error);
  return 'helper';
}

/** applyIdMap, blocking: for code that must not yield (a launcher, a synchronous setup). */
export function applyIdMapSync(
  pid: number,
  kind: IdKind,
  map: IdMap,
  options: ApplyOptions = {},
): AppliedBy {
  validateIdMap(map);
  if (chooseMethod(kind, map, options) === 'direct') {
    writeIdMap(pid, kind, map);
    return 'direct';
  }
  const helper = resolveHelper(kind, options);
  const r = process
    .getBuiltinModule('node:child_process')
    .spawnSync(helper.path, [String(pid), ...helperArgs(map)], { encoding: 'utf8' });
  checkHelperResult(helper, pid, r.status, r.stderr ?? '', r.error);
  return 'helper';
}

function chooseMethod(kind: IdKind, map: IdMap, options: ApplyOptions): AppliedBy {
  const method = options.method ?? 'auto';
  if (method !== 'auto') return method;
  if (process.geteuid!() === 0) return 'direct';
  const own = kind === 'uid' ? process.geteuid!() : process.getegid!();
  return map.length === 1 && map[0]!.count === 1 && map[0]!.hostId === own ? 'direct' : 'helper';
}

function resolveHelper(kind: IdKind, options: ApplyOptions): HelperInfo {
  const helper =
    options.helper === undefined
      ? findHelper(kind, options.path)
      : inspectHelper(kind, options.helper);
  if (!helper) {
    throw new IdMapError(
      'ERR_NO_HELPER',
      `${options.helper ?? helperName(kind)} not found${options.helper === undefined ? ' on PATH' : ''} (install the uidmap package, which provides newuidmap and newgidmap)`,
    );
  }
  if (helper.privilege === 'none') {
    throw new IdMapError(
      'ERR_HELPER_NOT_PRIVILEGED',
      `${helper.path} is neither setuid root nor given file capabilities, so it cannot write another process's ${kind} map`,
    );
  }
  return helper;
}

function checkHelperResult(
  helper: HelperInfo,
  pid: number,
  code: number | null,
  stderr: string,
  error: Error | undefined,
): void {
  if (code === 0) return;
  const said = stderr.trim();
  if (error && said === '') {
    throw new IdMapError('ERR_HELPER_FAILED', `cannot run ${helper.path}: ${error.message}`, {
      cause: error,
      exitCode: code,
    });
  }
  // The helper's own words say what it refused (a range not in /etc/subuid, a gone process…).
  throw new IdMapError(
    'ERR_HELPER_FAILED',
    `${helper.name} ${pid} failed${code === null ? '' : ` (exit status ${code})`}: ${said || 'no message'}`,
    { helperMessage: said, exitCode: code },
  );
}
