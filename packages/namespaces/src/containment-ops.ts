/**
 * The child's side of containment, one function per row of steps.ts: a session keyring of its
 * own, the capability sets, the seccomp filters. Synchronous, as everything in the child.
 */
import { applyCapabilities, getCaps, setCaps } from '@rootless-ts/capabilities';
import * as libc from '@rootless-ts/libc';
import {
  installFilter,
  type PreparedFilter,
  prepareFilter,
  releaseFilter,
} from '@rootless-ts/seccomp';
import type { ChildContext } from './child.js';
import { lockUser } from './child.js';
import type { LaunchSeccompFilter } from './containment.js';

/** A filter copied to native memory by the launcher, before it clones (see prepareFilters). */
export interface ChildFilter {
  prepared: PreparedFilter;
  flags: number;
}

/**
 * In the launcher, before cloning: each filter into mmap'd memory, which the clone child shares
 * (CLONE_VM), so that installing it there is a single seccomp(2) call.
 */
export function prepareFilters(filters: readonly LaunchSeccompFilter[] | undefined): ChildFilter[] {
  return (filters ?? []).map((f) => ({
    prepared: prepareFilter(Buffer.from(f.bpf, 'base64')),
    flags: f.flags,
  }));
}

/** In the launcher, once the clone child has exec'd or exited: the filters' memory unmapped. */
export function releaseFilters(filters: readonly ChildFilter[]): void {
  for (const f of filters) releaseFilter(f.prepared);
}

/**
 * A new anonymous session keyring, in place of the one inherited from whoever started the
 * spawn (a login's, with the user's keys in it): the program cannot read, search, link or
 * update the caller's session keys. runc and crun do the same. A keyring without a name is
 * always new (a name would join an existing keyring of that name). The user keyring is the
 * kernel's business: it belongs to the uid in its user namespace, so a new user namespace has
 * its own. Owned by the ids the child has here (root inside where it is mapped); the program
 * uses it as its possessor whatever its final ids, as a login session's processes do.
 */
export function joinNewSessionKeyring(): void {
  try {
    libc.joinSessionKeyring(null);
  } catch (e) {
    // A kernel without keyrings (CONFIG_KEYS=n) has no keys to share.
    if (libc.errnoFields(e).code === 'ENOSYS') return;
    throw libc.wrapError(e, 'joining a new session keyring');
  }
}

/**
 * Applies the capability sets and, where the credentials are ours to choose, takes the final
 * ids for good (the saved ids too): the point of no return, in place of lock-user. switch-user
 * left the effective set empty (the effective uid is already the final user's) while the
 * permitted set still holds root's capabilities (the saved uid is 0): they are made effective
 * again for the bounding set's drops (CAP_SETPCAP), then applyCapabilities changes the ids under
 * keep-caps, so that what the plan keeps survives the change, and sets the rest.
 */
export function applyCapabilitySets(c: ChildContext): void {
  const cfg = c.cfg.capabilities;
  if (!cfg) return;
  const now = getCaps();
  setCaps({ ...now, effective: now.permitted });
  applyCapabilities(
    {
      bounding: BigInt(cfg.bounding),
      effective: BigInt(cfg.effective),
      permitted: BigInt(cfg.permitted),
      inheritable: BigInt(cfg.inheritable),
      ambient: BigInt(cfg.ambient),
      lastCap: cfg.lastCap,
    },
    c.mapped ? { changeIds: () => lockUser(c) } : {},
  );
}

/**
 * Installs the filters, in order (the terminal guard first). Each is one seccomp(2) call: the
 * program was compiled by the parent and copied to native memory by the launcher. The kernel
 * accepts it with no_new_privs set, or from a holder of CAP_SYS_ADMIN in its user namespace.
 */
export function installSeccomp(c: ChildContext): void {
  for (const f of c.filters) installFilter(f.prepared, { flags: f.flags });
}
