import { keyctl as K, syscall as SYS } from '@rootless-ts/constants';
import { checkedSyscall } from './syscall.js';

/**
 * keyctl(2) operations on the calling thread's keyrings (glibc has no wrapper; libkeyutils is
 * not needed for these).
 */

/**
 * KEYCTL_JOIN_SESSION_KEYRING: gives the process a session keyring. With no name, a new
 * anonymous one, owned by the process's fsuid/fsgid, replacing the one it inherited (which it
 * then no longer possesses); with a name, the keyring of that name the caller may search, made
 * if there is none. Returns the keyring's serial number.
 */
export function joinSessionKeyring(name: string | null = null): number {
  return checkedSyscall('keyctl', SYS.SYS_keyctl, [K.KEYCTL_JOIN_SESSION_KEYRING, name]);
}

/** KEYCTL_GET_KEYRING_ID: the serial number of a special keyring (K.KEY_SPEC_*), without creating it. */
export function keyringId(special: number): number {
  return checkedSyscall('keyctl', SYS.SYS_keyctl, [K.KEYCTL_GET_KEYRING_ID, special, 0]);
}
