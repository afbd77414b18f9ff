import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type IdMapper, rootlessIdMap, spawn } from '@rootless-ts/namespaces';
import { StoreError } from './errors.js';

/** The helper program next to this module (dist/helper.js once built). */
export function helperPath(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.replace(/[^/]+$/, 'helper.js');
  if (existsSync(js)) return js;
  throw new StoreError(
    'ERR_HELPER_FAILED',
    `the store's helper program is missing: ${js} (is the package built?)`,
  );
}

export interface HelperResult {
  ok: boolean;
  code?: string;
  message?: string;
  path?: string;
  [k: string]: unknown;
}

let defaultMapping: { idmap: IdMapper; maps: string; lines: IdMapLines } | undefined;

/** The lines of a uid_map and a gid_map. */
export interface IdMapLines {
  uidMap: Array<{ containerId: number; hostId: number; count: number }>;
  gidMap: Array<{ containerId: number; hostId: number; count: number }>;
}
/**
 * The invoking user's usual mapping (subordinate ids, or the single mapping without them), and
 * its maps as text, which the store records: layers keep owners only under the same mapping.
 */
export function userIdMap(): { idmap: IdMapper; maps: string; lines: IdMapLines } {
  if (!defaultMapping) {
    const { plan, idmap } = rootlessIdMap();
    const lines = { uidMap: [...plan.uidMap], gidMap: [...plan.gidMap] };
    defaultMapping = { idmap, maps: JSON.stringify(lines), lines };
  }
  return defaultMapping;
}

/**
 * Runs `node helper.js OP ARGS` as root inside a new user namespace (the user's subordinate
 * mapping) and mount namespace; `input` becomes its stdin. Resolves with its JSON result;
 * a failed result becomes a StoreError naming the operation.
 */
export async function runHelper(
  op: string,
  args: { root: string; paths?: string[]; [k: string]: unknown },
  opts: { idmap?: IdMapper; input?: Readable; signal?: AbortSignal } = {},
): Promise<HelperResult> {
  // Root inside may not search the directories above the store (a home of mode 0700 whose
  // group is not mapped): it gets the store's root as descriptor 3 and reaches everything
  // through /proc/self/fd/3, which skips the ancestors' permission checks.
  const rel = (p: string) => {
    const r = relative(args.root, p);
    if (r.startsWith('..') || isAbsolute(r))
      throw new StoreError('ERR_HELPER_FAILED', `${p} is outside the store ${args.root}`);
    return r;
  };
  const mapped: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (k === 'root') continue;
    // host*: a path as the new mount namespace sees it, passed as is.
    if (k.startsWith('host')) mapped[k] = v;
    else if (typeof v === 'string' && v.startsWith('/')) mapped[k] = rel(v);
    else if (Array.isArray(v))
      mapped[k] = v.map((x) => (typeof x === 'string' && x.startsWith('/') ? rel(x) : x));
    else mapped[k] = v;
  }
  if (opts.signal?.aborted) {
    throw new StoreError('ERR_ABORTED', `${op} aborted`, { cause: opts.signal.reason });
  }
  const rootFd = openSync(args.root, constants.O_RDONLY | constants.O_DIRECTORY);
  let p: Awaited<ReturnType<typeof spawn>>;
  try {
    p = await spawn({
      argv: [process.execPath, helperPath(), op, JSON.stringify(mapped)],
      env: {},
      namespaces: ['user', 'mnt'],
      idmap: opts.idmap ?? userIdMap().idmap,
      uid: 0,
      gid: 0,
      stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      extraFds: [rootFd],
    });
  } finally {
    closeSync(rootFd);
  }
  const onAbort = () => p.kill('SIGKILL');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let out = '';
  let err = '';
  p.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  p.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  let inputError: unknown;
  const feeding =
    opts.input && p.stdin
      ? process
          .getBuiltinModule('node:stream/promises')
          .pipeline(opts.input, p.stdin)
          .catch((e: unknown) => {
            // EPIPE when the helper stops early (a refused entry): its own result says why.
            inputError = e;
            p.kill('SIGKILL');
          })
      : Promise.resolve();
  const status = await p.exited;
  await feeding;
  opts.signal?.removeEventListener('abort', onAbort);
  const last = out.trim().split('\n').at(-1) ?? '';
  let result: HelperResult | undefined;
  try {
    result = JSON.parse(last) as HelperResult;
  } catch {
    result = undefined;
  }
  if (opts.signal?.aborted)
    throw new StoreError('ERR_ABORTED', `${op} aborted`, { cause: opts.signal.reason });
  if (result && !result.ok) {
    throw new StoreError(
      result.code ?? 'ERR_HELPER_FAILED',
      result.message ?? `${op} failed`,
      result.path === undefined ? {} : { path: result.path },
    );
  }
  const inputCode = (inputError as { code?: string } | undefined)?.code;
  if (inputError && inputCode !== 'EPIPE' && inputCode !== 'ERR_STREAM_PREMATURE_CLOSE') {
    throw new StoreError(
      (inputError as { code?: string }).code ?? 'ERR_HELPER_FAILED',
      `${op}: ${(inputError as Error).message}`,
      { cause: inputError },
    );
  }
  if (!result || status.code !== 0) {
    const why = err.trim().split('\n').at(-1) || `exit ${status.code ?? status.signal}`;
    throw new StoreError('ERR_HELPER_FAILED', `${op} in the user namespace failed: ${why}`);
  }
  return result;
}
