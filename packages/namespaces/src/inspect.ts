import { readlinkSync } from 'node:fs';
import { NAMESPACE_KINDS, type NamespaceKind } from './kinds.js';

/** A namespace's identity: its inode number on nsfs (what `ls -l /proc/PID/ns` shows). */
export interface NamespaceId {
  kind: NamespaceKind;
  inode: number;
}

/** The namespace of one kind a process is in, read from /proc/<pid>/ns/<kind>. */
export function namespaceOf(pid: number | 'self', kind: NamespaceKind): NamespaceId {
  const link = readlinkSync(`/proc/${pid}/ns/${kind}`);
  const m = /^\w+:\[(\d+)\]$/.exec(link);
  if (!m) throw new Error(`unexpected namespace link ${link} for /proc/${pid}/ns/${kind}`);
  return { kind, inode: Number(m[1]) };
}

/** Every namespace of a process that the running kernel has (kinds it lacks are left out). */
export function namespacesOf(pid: number | 'self'): Partial<Record<NamespaceKind, NamespaceId>> {
  const out: Partial<Record<NamespaceKind, NamespaceId>> = {};
  for (const kind of NAMESPACE_KINDS) {
    try {
      out[kind] = namespaceOf(pid, kind);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return out;
}

/** Whether two processes are in the same namespace of the given kind. */
export function sameNamespace(
  a: number | 'self',
  b: number | 'self',
  kind: NamespaceKind,
): boolean {
  return namespaceOf(a, kind).inode === namespaceOf(b, kind).inode;
}

/** The kinds in which two processes differ. */
export function namespaceDifferences(a: number | 'self', b: number | 'self'): NamespaceKind[] {
  const na = namespacesOf(a);
  const nb = namespacesOf(b);
  return NAMESPACE_KINDS.filter((k) => na[k] && nb[k] && na[k].inode !== nb[k].inode);
}
