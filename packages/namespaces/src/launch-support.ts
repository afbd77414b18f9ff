/**
 * What a launcher does around its clone, shared by the launcher script (launcher.ts) and a
 * spawn run in the calling process itself (here.ts): importing the setup hooks, the stack top,
 * and the clone child's first act of moving the program's descriptors into place.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fcntl as F, prctl as PR, signal } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import type { JoinFds, SetupHook } from './child.js';
import { serializeError } from './errors.js';
import type { SetupHookSpec } from './protocol.js';
import type { SyncChannel } from './sync-channel.js';

/**
 * require() of an absolute path. In a CommonJS bundle (the CLI, the launcher), this module's own
 * require: node:module's createRequire would load node:module, and with it Node's ES module
 * loader and source maps, about 6.5 ms of every start. In an ES module, createRequire.
 */
function requireByPath(path: string): Record<string, unknown> {
  // `module`, not `require`: esbuild replaces a bare require with a shim that exists (and
  // throws) in an ES module too.
  if (typeof module === 'object' && typeof module?.require === 'function')
    return module.require(path) as Record<string, unknown>;
  const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
  return createRequire(path)(path) as Record<string, unknown>;
}

async function loadHook(spec: SetupHookSpec): Promise<SetupHook> {
  const isUrl = spec.module.startsWith('file:');
  const path = isUrl ? fileURLToPath(spec.module) : spec.module;
  let mod: Record<string, unknown>;
  try {
    // A CommonJS hook (.cjs, or .js under a "type": "commonjs" package) is required: the
    // launcher (itself CommonJS) then never starts the ES module loader, which costs more than
    // the hook.
    mod = requireByPath(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw e;
    mod = (await import(isUrl ? spec.module : pathToFileURL(spec.module).href)) as Record<
      string,
      unknown
    >;
  }
  const name = spec.export ?? ('setup' in mod ? 'setup' : 'default');
  let fn = mod[name];
  // A CommonJS module's exports arrive as the default export.
  if (typeof fn !== 'function' && mod.default && typeof mod.default === 'object') {
    fn = (mod.default as Record<string, unknown>)[name];
  }
  if (typeof fn !== 'function')
    throw new Error(`setup hook ${spec.module} has no function export "${name}"`);
  return fn as SetupHook;
}

/**
 * In the clone child of a pooled launcher, before anything else: the program's descriptors into
 * 0..keepFds-1, the channel into keepFds and the fd channel into keepFds + 1, the layout the
 * child relies on and a launcher started for the spawn has. The child's descriptor table is its
 * own copy (no CLONE_FILES): the launcher's, where Node's own descriptors may sit at these
 * numbers, stays as it was; in the child, whose event loop never runs again, they are replaced
 * (and everything else is closed before the exec anyway). `others`, descriptors the steps read
 * (the network's readiness pipe), are moved out of the way too: their `fd` is updated. Null (the
 * error sent) on failure.
 */
export function placeFds(
  received: number[],
  channel: SyncChannel,
  fdChannel: number,
  keepFds: number,
  join?: JoinFds,
  others: Array<{ fd: number }> = [],
): SyncChannel | null {
  const floor = keepFds + 2;
  const lift = (fd: number) => (fd >= floor ? fd : libc.fcntl(fd, F.F_DUPFD_CLOEXEC, floor));
  let reply = channel;
  try {
    // First every descriptor still needed out of the way of the targets, then into place.
    const ch = lift(channel.fd);
    reply = channel.movedTo(ch);
    const fdCh = lift(fdChannel);
    const program = received.map(lift);
    for (const ns of join ? [...join.early, ...join.rest] : []) ns.fd = lift(ns.fd);
    for (const other of others) other.fd = lift(other.fd);
    for (const [i, fd] of program.entries()) libc.dup3(fd, i, F.O_CLOEXEC);
    libc.dup3(ch, keepFds, F.O_CLOEXEC);
    libc.dup3(fdCh, keepFds + 1, F.O_CLOEXEC);
    for (const fd of [...program, ch, fdCh]) libc.close(fd);
    return channel.movedTo(keepFds);
  } catch (e) {
    reply.reportError(serializeError('launcher', e));
    return null;
  }
}

/**
 * libc.childStackTop, with this memory made dumpable for the moment it reads
 * /proc/thread-self/syscall (which a non-dumpable process may not open): a pooled launcher is
 * non-dumpable (see serve), and so may be one whose child changed its credentials (the flag
 * belongs to the memory they share). Only this read needs it, while no child runs.
 */
export function stackTop(): bigint {
  const dumpable = libc.prctl(PR.PR_GET_DUMPABLE);
  if (dumpable === 1) return libc.childStackTop();
  libc.prctl(PR.PR_SET_DUMPABLE, 1);
  try {
    return libc.childStackTop();
  } finally {
    libc.prctl(PR.PR_SET_DUMPABLE, dumpable);
  }
}

/** Setup hooks by module and export: a pooled launcher imports each once, for every spawn. */
const hookCache = new Map<string, Promise<SetupHook>>();

export function cachedHook(spec: SetupHookSpec): Promise<SetupHook> {
  const key = JSON.stringify([spec.module, spec.export ?? null]);
  let hook = hookCache.get(key);
  if (!hook) {
    hook = loadHook(spec);
    // A failed import is tried again by the next spawn.
    hook.catch(() => hookCache.delete(key));
    hookCache.set(key, hook);
  }
  return hook;
}

let gcFunction: ((o?: { type: 'minor' | 'major' }) => void) | undefined;

/**
 * A young-generation collection before a clone whose child runs JavaScript on this heap: a
 * collection starting in the child can abort it (seen in the launcher: status 139, glibc's
 * abort(), about 1 start in 100; in an in-process holder: a koffi assertion). A scavenge (about 1
 * ms, where a full collection cost about 10) leaves the young generation empty, so that the
 * child's own few allocations are unlikely to start one. With `node --expose-gc` (launchers, the
 * `rootless` bin's shebang) that is the global `gc`; otherwise the flag is set now and `gc` taken
 * from a new context, which loads node:v8 and with it Node's streams (about 3 ms, once).
 */
export function collectYoung(): void {
  gcFunction ??= globalGc();
  if (!gcFunction) {
    process.getBuiltinModule('node:v8').setFlagsFromString('--expose-gc');
    gcFunction = process.getBuiltinModule('node:vm').runInNewContext('gc') as typeof gcFunction;
  }
  gcFunction?.({ type: 'minor' });
}

function globalGc(): typeof gcFunction {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as typeof gcFunction) : undefined;
}

/**
 * cloneThenExec's deathSignal for the container's first process, when the spawn asks it to die
 * with its parent: set in C before any of its JavaScript runs (the death-signal row sets it again
 * and checks that the parent is still there).
 */
export function deathSignal(cfg: { dieWithParent: boolean }): { deathSignal?: number } {
  return cfg.dieWithParent ? { deathSignal: signal.SIGKILL } : {};
}
