import { prctl as PR } from '@rootless-ts/constants';
import { capget, capset, isErrnoError, prctl } from '@rootless-ts/libc';
import { CapabilityError } from './errors.js';
import { capName, checkNumber, lastCap } from './names.js';
import type { CapSets } from './sets.js';

/**
 * The system calls on capabilities: capget/capset (version 3, 64-bit sets) and the prctl
 * options for the bounding and ambient sets, no_new_privs, securebits and keep-caps. A refused
 * call throws CapabilityError naming what was attempted, with the libc ErrnoError as cause.
 */

function attempt<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (isErrnoError(err)) {
      throw new CapabilityError(`cannot ${what}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** The calling thread's sets (pid 0), or those of another thread. */
export function getCaps(pid = 0): CapSets {
  return attempt(`read the capabilities of ${pid === 0 ? 'this thread' : `pid ${pid}`}`, () =>
    capget(pid),
  );
}

/**
 * Sets the calling thread's sets. The kernel's rules apply: permitted can only shrink,
 * effective must lie within permitted, inheritable within permitted and bounding (unless
 * CAP_SETPCAP). Node has several threads: this changes only the calling (main) thread.
 */
export function setCaps(sets: CapSets): void {
  attempt('set the capabilities of this thread', () => capset(sets));
}

/** True when `cap` is in the calling thread's bounding set. */
export function boundingHas(cap: number): boolean {
  checkNumber(cap);
  return (
    attempt(`read ${capName(cap)} in the bounding set`, () => prctl(PR.PR_CAPBSET_READ, cap)) === 1
  );
}

/** The calling thread's bounding set, read capability by capability up to lastCap(). */
export function readBounding(): bigint {
  let mask = 0n;
  for (let n = 0; n <= lastCap(); n++) if (boundingHas(n)) mask |= 1n << BigInt(n);
  return mask;
}

/**
 * Removes `cap` from the calling thread's bounding set, for good: no later execve can give it
 * back. Needs CAP_SETPCAP (which root inside a new user namespace has).
 */
export function dropBounding(cap: number): void {
  checkNumber(cap);
  attempt(`drop ${capName(cap)} from the bounding set`, () => prctl(PR.PR_CAPBSET_DROP, cap));
}

/** True when `cap` is in the calling thread's ambient set. */
export function ambientHas(cap: number): boolean {
  checkNumber(cap);
  return (
    attempt(`read ${capName(cap)} in the ambient set`, () =>
      prctl(PR.PR_CAP_AMBIENT, PR.PR_CAP_AMBIENT_IS_SET, cap),
    ) === 1
  );
}

/** The calling thread's ambient set, read capability by capability up to lastCap(). */
export function readAmbient(): bigint {
  let mask = 0n;
  for (let n = 0; n <= lastCap(); n++) if (ambientHas(n)) mask |= 1n << BigInt(n);
  return mask;
}

/**
 * Adds `cap` to the ambient set, kept across execve of unprivileged programs. The capability
 * must already be both permitted and inheritable (raise it in the inheritable set first).
 */
export function raiseAmbient(cap: number): void {
  checkNumber(cap);
  attempt(`raise ${capName(cap)} in the ambient set`, () =>
    prctl(PR.PR_CAP_AMBIENT, PR.PR_CAP_AMBIENT_RAISE, cap),
  );
}

/** Removes `cap` from the ambient set. */
export function lowerAmbient(cap: number): void {
  checkNumber(cap);
  attempt(`lower ${capName(cap)} in the ambient set`, () =>
    prctl(PR.PR_CAP_AMBIENT, PR.PR_CAP_AMBIENT_LOWER, cap),
  );
}

/** Empties the ambient set. */
export function clearAmbient(): void {
  attempt('clear the ambient set', () => prctl(PR.PR_CAP_AMBIENT, PR.PR_CAP_AMBIENT_CLEAR_ALL));
}

/**
 * Sets no_new_privs: from now on execve never grants privileges (setuid bits and file
 * capabilities are ignored). It cannot be unset, and it is inherited by children.
 */
export function setNoNewPrivs(): void {
  attempt('set no_new_privs', () => prctl(PR.PR_SET_NO_NEW_PRIVS, 1));
}

/** True when no_new_privs is set. */
export function getNoNewPrivs(): boolean {
  return attempt('read no_new_privs', () => prctl(PR.PR_GET_NO_NEW_PRIVS)) === 1;
}

/** The securebits (SECBIT_* flags from @rootless-ts/constants' prctl group). */
export function getSecurebits(): number {
  return attempt('read the securebits', () => prctl(PR.PR_GET_SECUREBITS));
}

/** Sets the securebits (needs CAP_SETPCAP; locked bits cannot change). */
export function setSecurebits(bits: number): void {
  attempt(`set the securebits to 0x${bits.toString(16)}`, () => prctl(PR.PR_SET_SECUREBITS, bits));
}

/** True when keep-caps is set: permitted capabilities survive a change from uid 0 to others. */
export function getKeepCaps(): boolean {
  return attempt('read keep-caps', () => prctl(PR.PR_GET_KEEPCAPS)) === 1;
}

/** Sets or clears keep-caps (reset by execve). */
export function setKeepCaps(keep: boolean): void {
  attempt(`${keep ? 'set' : 'clear'} keep-caps`, () => prctl(PR.PR_SET_KEEPCAPS, keep ? 1 : 0));
}
