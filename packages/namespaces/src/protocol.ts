import type { LaunchCapabilities, LaunchSeccompFilter } from './containment.js';
import type { SerializedError, SpawnStep } from './errors.js';
import { NAMESPACE_KINDS, type NamespaceKind } from './kinds.js';
import { isSpawnStep } from './step-names.js';

/**
 * The handshake between the parent (library process), the launcher and the container child,
 * as newline-delimited JSON over one socketpair per spawn (a pooled launcher also has a control
 * channel of its own, for warm and fds). One named wait per transition (sync-channel.ts):
 *
 *   launcher → parent   : warm (a pooled launcher only, on its control channel: started,
 *                         modules loaded, waiting; again after each spawn it served)
 *   parent   → launcher : fds (a pooled launcher only, on its control channel: the program's
 *                         descriptors, then the spawn's channel and fd channel, count in all,
 *                         were sent on the control fd channel with SCM_RIGHTS, in order)
 *   parent   → launcher : config
 *   child    → parent   : pid (its host pid; with enter() into a pid namespace, also the host
 *                         pid of the intermediate process that cloned it)
 *   parent   → child    : mapped (after writing uid_map/gid_map, or at once without a mapping)
 *   child    → parent   : ready (set up, final credentials taken)
 *   parent              : kills a launcher started for the spawn (not a pooled one), waits
 *                         until it is gone
 *   parent   → child    : exec
 *   child               : returns the prepared execve, which runs after the return; the
 *                         channel is close-on-exec and a pooled launcher closes its copy once
 *                         its clone has returned, so EOF confirms the exec
 *   any      → parent   : error (then the sender exits)
 *
 * Every message is checked when it is decoded (decodeToChild, decodeToParent): a malformed one
 * is a ProtocolError, never a cast.
 */
export type ToChild =
  | { t: 'fds'; count: number }
  | { t: 'config'; config: LaunchConfig }
  | { t: 'mapped' }
  | { t: 'exec' };
export type ToParent =
  | { t: 'warm' }
  | { t: 'pid'; pid: number; intermediate?: number }
  | { t: 'ready' }
  | { t: 'error'; error: SerializedError };

/** A setup hook: a module the launcher imports before cloning, called in the child. */
export interface SetupHookSpec {
  /** Absolute path or file: URL of an ES module or CommonJS file. */
  module: string;
  /** The export to call (default: `setup`, else the default export). */
  export?: string;
  /** JSON data handed to the hook. */
  config?: unknown;
}

/** Everything the launcher and the child need, as plain data. */
export interface LaunchConfig {
  namespaces: NamespaceKind[];
  argv: string[];
  env: string[];
  /** PATH used to find argv[0] when it has no slash. */
  searchPath: string;
  cwd: string;
  hostname?: string;
  domainname?: string;
  uid?: number;
  gid?: number;
  groups?: number[];
  setup: SetupHookSpec[];
  noNewPrivileges: boolean;
  dieWithParent: boolean;
  /** Descriptors 0..keepFds-1 are handed to the program; the channel is descriptor keepFds. */
  keepFds: number;
  /** Descriptors handed to the parent by setup hooks go over descriptor keepFds + 1. */
  fdChannel: number;
  /** Join the namespaces of a running process instead of creating new ones (enter). */
  join?: { pid: number; namespaces: NamespaceKind[] };
  /** Make the program a session leader with descriptor `controllingTerminal` as its terminal. */
  newSession: boolean;
  controllingTerminal?: number;
  // ---- locked mounts ----
  /** Run the program in a nested user namespace, where the setup's mounts are locked. */
  lockMounts?: boolean;

  // -- containment: the rows session-keyring, capabilities, seccomp(-privileged) --
  /** Join a new anonymous session keyring (KEYCTL_JOIN_SESSION_KEYRING) before the setup. */
  newSessionKeyring: boolean;
  /** The program's capability sets; absent: the child's are left as the kernel gives them. */
  capabilities?: LaunchCapabilities;
  /** seccomp filters installed in order, last before execve; absent: none. */
  seccomp?: LaunchSeccompFilter[];
  // -- end of containment --
}

/** At most this many descriptors per SCM_RIGHTS message on the fd channel (the kernel's limit is 253). */
export const FD_CHUNK = 64;

/** A message on the channel that is not one the protocol has: a bug, or a hostile sender. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code = 'ERR_PROTOCOL';
}

export function encode(m: ToChild | ToParent): string {
  return `${JSON.stringify(m)}\n`;
}

/** Splits a stream of chunks into parsed JSON values; keeps the incomplete tail. */
export class LineDecoder {
  private buffer = '';

  push(chunk: string): unknown[] {
    this.buffer += chunk;
    const out: unknown[] = [];
    for (let i = this.buffer.indexOf('\n'); i >= 0; i = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 1);
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        throw new ProtocolError('a message on the channel is not JSON');
      }
    }
    return out;
  }
}

// Hand-written guards rather than a schema library: the launcher decodes the config in the
// critical path of every spawn, and loading zod (or even valibot) there costs more start-up
// time than the whole check. The protocol is small and changes with this file.

type Obj = Record<string, unknown>;

function bad(what: string): never {
  throw new ProtocolError(`malformed message on the channel: ${what}`);
}
function obj(v: unknown, what: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(`${what} is not an object`);
  return v as Obj;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') bad(`${what} is not a string`);
  return v;
}
function int(v: unknown, what: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) bad(`${what} is not an integer`);
  return v;
}
function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') bad(`${what} is not a boolean`);
  return v;
}
function strs(v: unknown, what: string): string[] {
  if (!Array.isArray(v)) bad(`${what} is not an array`);
  for (const x of v) str(x, what);
  return v as string[];
}
function ints(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) bad(`${what} is not an array`);
  for (const x of v) int(x, what);
  return v as number[];
}
function kinds(v: unknown, what: string): NamespaceKind[] {
  for (const k of strs(v, what)) {
    if (!(NAMESPACE_KINDS as readonly string[]).includes(k)) bad(`${what}: unknown kind ${k}`);
  }
  return v as NamespaceKind[];
}
function optional<T>(o: Obj, key: string, check: (v: unknown, what: string) => T): void {
  if (o[key] !== undefined) check(o[key], key);
}

/** Checks a config as the launcher receives it. */
export function checkLaunchConfig(v: unknown): LaunchConfig {
  const c = obj(v, 'config');
  kinds(c.namespaces, 'namespaces');
  if (strs(c.argv, 'argv').length === 0) bad('argv is empty');
  strs(c.env, 'env');
  str(c.searchPath, 'searchPath');
  str(c.cwd, 'cwd');
  optional(c, 'hostname', str);
  optional(c, 'domainname', str);
  optional(c, 'uid', int);
  optional(c, 'gid', int);
  optional(c, 'groups', ints);
  if (!Array.isArray(c.setup)) bad('setup is not an array');
  for (const s of c.setup) {
    const h = obj(s, 'setup hook');
    str(h.module, 'setup hook module');
    optional(h, 'export', str);
  }
  bool(c.noNewPrivileges, 'noNewPrivileges');
  bool(c.dieWithParent, 'dieWithParent');
  int(c.keepFds, 'keepFds', 3);
  int(c.fdChannel, 'fdChannel');
  if (c.join !== undefined) {
    const j = obj(c.join, 'join');
    int(j.pid, 'join pid', 1);
    kinds(j.namespaces, 'join namespaces');
  }
  bool(c.newSession, 'newSession');
  optional(c, 'controllingTerminal', int);
  optional(c, 'lockMounts', bool);
  // -- containment --
  bool(c.newSessionKeyring, 'newSessionKeyring');
  if (c.capabilities !== undefined) {
    const caps = obj(c.capabilities, 'capabilities');
    for (const k of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient']) {
      if (!/^0x[0-9a-f]{1,16}$/.test(str(caps[k], `capabilities ${k}`)))
        bad(`capabilities ${k} is not a hex mask`);
    }
    int(caps.lastCap, 'capabilities lastCap');
  }
  if (c.seccomp !== undefined) {
    if (!Array.isArray(c.seccomp)) bad('seccomp is not an array');
    for (const f of c.seccomp) {
      const filter = obj(f, 'seccomp filter');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(str(filter.bpf, 'seccomp bpf')))
        bad('seccomp bpf is not base64');
      int(filter.flags, 'seccomp flags');
    }
  }
  // -- end of containment --
  return c as unknown as LaunchConfig;
}

/** A message to the launcher or child, checked. */
export function decodeToChild(v: unknown): ToChild {
  const m = obj(v, 'message');
  switch (m.t) {
    case 'fds':
      int(m.count, 'fds count');
      return m as ToChild;
    case 'config':
      checkLaunchConfig(m.config);
      return m as ToChild;
    case 'mapped':
    case 'exec':
      return m as ToChild;
    default:
      return bad(`unknown message ${JSON.stringify(m.t)}`);
  }
}

/** A message to the parent, checked. */
export function decodeToParent(v: unknown): ToParent {
  const m = obj(v, 'message');
  switch (m.t) {
    case 'warm':
    case 'ready':
      return m as ToParent;
    case 'pid':
      int(m.pid, 'pid', 1);
      optional(m, 'intermediate', (x, w) => int(x, w, 1));
      return m as ToParent;
    case 'error': {
      const e = obj(m.error, 'error');
      if (!isSpawnStep(e.step)) bad(`unknown step ${JSON.stringify(e.step)}`);
      str(e.message, 'error message');
      optional(e, 'errno', int);
      for (const k of ['code', 'syscall', 'path', 'dest']) optional(e, k, str);
      return { t: 'error', error: { ...e, step: e.step as SpawnStep } as SerializedError };
    }
    default:
      return bad(`unknown message ${JSON.stringify(m.t)}`);
  }
}
