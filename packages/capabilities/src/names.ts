import { readFileSync } from 'node:fs';
import { CapabilityError } from './errors.js';

/**
 * Capability names by number, as libcap spells them (the kernel's macro names in lower case).
 * This is the list libcap 2.66 (Debian 12) and Linux 5.9 to 6.18 know: CAP_CHECKPOINT_RESTORE
 * (40) is the last. A kernel with more capabilities than this list shows them by number
 * ("41"), as libcap does.
 */
export const CAP_NAMES: readonly string[] = Object.freeze([
  'cap_chown',
  'cap_dac_override',
  'cap_dac_read_search',
  'cap_fowner',
  'cap_fsetid',
  'cap_kill',
  'cap_setgid',
  'cap_setuid',
  'cap_setpcap',
  'cap_linux_immutable',
  'cap_net_bind_service',
  'cap_net_broadcast',
  'cap_net_admin',
  'cap_net_raw',
  'cap_ipc_lock',
  'cap_ipc_owner',
  'cap_sys_module',
  'cap_sys_rawio',
  'cap_sys_chroot',
  'cap_sys_ptrace',
  'cap_sys_pacct',
  'cap_sys_admin',
  'cap_sys_boot',
  'cap_sys_nice',
  'cap_sys_resource',
  'cap_sys_time',
  'cap_sys_tty_config',
  'cap_mknod',
  'cap_lease',
  'cap_audit_write',
  'cap_audit_control',
  'cap_setfcap',
  'cap_mac_override',
  'cap_mac_admin',
  'cap_syslog',
  'cap_wake_alarm',
  'cap_block_suspend',
  'cap_audit_read',
  'cap_perfmon',
  'cap_bpf',
  'cap_checkpoint_restore',
]);

/** Capability sets are 64 bits wide (capget/capset version 3, /proc/<pid>/status). */
export const CAP_BITS = 64;

/** The name of capability `n`: its libcap name when known, else its number as text. */
export function capName(n: number): string {
  checkNumber(n);
  return CAP_NAMES[n] ?? String(n);
}

/**
 * The number of a capability given by name (`cap_sys_admin`, `CAP_SYS_ADMIN`, `sys_admin`) or
 * by number (`21`, as libcap accepts). Throws CapabilityError for anything else.
 */
export function capFromName(name: string): number {
  const s = name.trim().toLowerCase();
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    if (n < CAP_BITS) return n;
  } else {
    const i = CAP_NAMES.indexOf(s.startsWith('cap_') ? s : `cap_${s}`);
    if (i >= 0) return i;
  }
  throw new CapabilityError(`unknown capability ${JSON.stringify(name)}`);
}

let cachedLastCap: number | undefined;

/**
 * The highest capability the running kernel knows, from /proc/sys/kernel/cap_last_cap (read
 * once). When that file cannot be read (no /proc yet, inside a fresh mount namespace), the last
 * capability of CAP_NAMES.
 */
export function lastCap(): number {
  if (cachedLastCap === undefined) {
    try {
      const n = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
      cachedLastCap = Number.isInteger(n) && n >= 0 && n < CAP_BITS ? n : CAP_NAMES.length - 1;
    } catch {
      cachedLastCap = CAP_NAMES.length - 1;
    }
  }
  return cachedLastCap;
}

/** Every capability of the running kernel, 0 … lastCap(), as numbers. */
export function allCaps(): number[] {
  return Array.from({ length: lastCap() + 1 }, (_, i) => i);
}

export function checkNumber(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n >= CAP_BITS) {
    throw new CapabilityError(`capability number ${n} is not from 0 to ${CAP_BITS - 1}`);
  }
}
