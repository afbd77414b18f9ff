import type { SerializedError } from './errors.js';
import type { NamespaceKind } from './kinds.js';

/**
 * The handshake between the parent (library process), the launcher and the container child,
 * as newline-delimited JSON over one socketpair:
 *
 *   launcher → parent   : warm (a pooled launcher only: started, modules loaded, waiting)
 *   parent   → launcher : fds (a pooled launcher only: the program's descriptors 0..count-1
 *                         were sent on the fd channel with SCM_RIGHTS, in order)
 *   parent   → launcher : config
 *   child    → parent   : pid (its host pid)
 *   parent   → child    : mapped (after writing uid_map/gid_map, or at once without a mapping)
 *   child    → parent   : ready (set up, final credentials taken)
 *   parent              : kills the launcher, waits until it is gone
 *   parent   → child    : exec
 *   child               : execve; the channel is close-on-exec, so EOF confirms the exec
 *   any      → parent   : error (then the sender exits)
 */
export type ToChild =
  | { t: 'fds'; count: number }
  | { t: 'config'; config: LaunchConfig }
  | { t: 'mapped' }
  | { t: 'exec' };
export type ToParent =
  | { t: 'warm' }
  | { t: 'pid'; pid: number }
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
}

/** At most this many descriptors per SCM_RIGHTS message on the fd channel (the kernel's limit is 253). */
export const FD_CHUNK = 64;

export function encode(m: ToChild | ToParent): string {
  return `${JSON.stringify(m)}\n`;
}

/** Splits a stream of chunks into messages; keeps the incomplete tail. */
export class LineDecoder {
  private buffer = '';

  push(chunk: string): unknown[] {
    this.buffer += chunk;
    const out: unknown[] = [];
    for (let i = this.buffer.indexOf('\n'); i >= 0; i = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 1);
      if (line.trim() !== '') out.push(JSON.parse(line));
    }
    return out;
  }
}
