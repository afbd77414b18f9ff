import { clone } from '@rootless-ts/constants';

/** The namespace kinds Linux has, by the names /proc/<pid>/ns uses. */
export type NamespaceKind = 'user' | 'mnt' | 'pid' | 'uts' | 'ipc' | 'net' | 'cgroup' | 'time';

export const NAMESPACE_KINDS: readonly NamespaceKind[] = [
  'user',
  'mnt',
  'pid',
  'uts',
  'ipc',
  'net',
  'cgroup',
  'time',
];

/** The clone/unshare/setns flag of each kind. */
export function cloneFlag(kind: NamespaceKind): number {
  switch (kind) {
    case 'user':
      return clone.CLONE_NEWUSER;
    case 'mnt':
      return clone.CLONE_NEWNS;
    case 'pid':
      return clone.CLONE_NEWPID;
    case 'uts':
      return clone.CLONE_NEWUTS;
    case 'ipc':
      return clone.CLONE_NEWIPC;
    case 'net':
      return clone.CLONE_NEWNET;
    case 'cgroup':
      return clone.CLONE_NEWCGROUP;
    case 'time':
      return clone.CLONE_NEWTIME;
  }
}

/** The OR of the flags of the given kinds. */
export function cloneFlags(kinds: Iterable<NamespaceKind>): number {
  let flags = 0;
  for (const k of kinds) flags |= cloneFlag(k);
  return flags;
}

/** Accepts the aliases people type ('mount' for 'mnt'); throws on an unknown kind. */
export function parseNamespaceKind(name: string): NamespaceKind {
  const kind = name === 'mount' ? 'mnt' : name;
  if ((NAMESPACE_KINDS as readonly string[]).includes(kind)) return kind as NamespaceKind;
  throw new TypeError(`unknown namespace kind "${name}" (known: ${NAMESPACE_KINDS.join(', ')})`);
}
