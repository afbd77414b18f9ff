import { readFileSync } from 'node:fs';
import {
  errnoName,
  mman,
  seccomp as SECCOMP,
  syscall as SYS,
  struct,
} from '@rootless-ts/constants';
import { memoryView, mmap, munmap, rawSyscall } from '@rootless-ts/libc';
import koffi from 'koffi';
import { SeccompError } from './errors.js';
import type { SeccompFlag } from './types.js';

/**
 * Installing a compiled program: prepareFilter copies it, with the `struct sock_fprog` that
 * points at it, into native memory (before the container's child is cloned, so the child,
 * which shares the launcher's memory under CLONE_VM, finds it there); installFilter is then a
 * single seccomp(2) call that allocates nothing and never touches libseccomp.
 */

/** A BPF program in native memory, ready for seccomp(2). */
export interface PreparedFilter {
  /** Address of the `struct sock_fprog`. */
  readonly address: bigint;
  /** Bytes mapped (for releaseFilter). */
  readonly length: number;
  /** Number of BPF instructions. */
  readonly instructions: number;
}

/** Checks a program's size: whole instructions, at least one, at most BPF_MAXINSNS. */
export function checkProgram(bpf: Uint8Array): number {
  const insn = struct.sock_filter.size;
  const n = bpf.byteLength / insn;
  if (!Number.isInteger(n) || n === 0 || n > SECCOMP.BPF_MAXINSNS) {
    throw new SeccompError(
      `seccomp: a BPF program is 1 to ${SECCOMP.BPF_MAXINSNS} instructions of ${insn} bytes, not ${bpf.byteLength} bytes`,
      { code: 'EINVAL' },
    );
  }
  return n;
}

/** Copies a program into native memory (mmap) with its sock_fprog header. */
export function prepareFilter(bpf: Uint8Array): PreparedFilter {
  const instructions = checkProgram(bpf);
  const fprog = struct.sock_fprog;
  const header = Math.ceil(fprog.size / struct.sock_filter.align) * struct.sock_filter.align;
  const length = header + bpf.byteLength;
  const address = mmap(
    null,
    length,
    mman.PROT_READ | mman.PROT_WRITE,
    mman.MAP_PRIVATE | mman.MAP_ANONYMOUS,
  );
  const view = memoryView(address, length);
  const dv = new DataView(view.buffer, view.byteOffset, view.byteLength);
  dv.setUint16(fprog.fields.len.offset, instructions, true);
  dv.setBigUint64(fprog.fields.filter.offset, address + BigInt(header), true);
  view.set(bpf, header);
  return Object.freeze({ address, length, instructions });
}

/** Unmaps a prepared program (once it is installed, or no longer needed). */
export function releaseFilter(filter: PreparedFilter): void {
  munmap(filter.address, filter.length);
}

/** The seccomp(2) flag bits of OCI flag names (a profile's `flags`). */
export function filterFlags(flags: readonly SeccompFlag[]): number {
  let bits = 0;
  for (const f of flags) bits |= SECCOMP[f];
  return bits;
}

/**
 * Installs a program on the calling thread: `seccomp(SECCOMP_SET_MODE_FILTER, flags, prog)`.
 * The caller must have set no_new_privs, or hold CAP_SYS_ADMIN in its user namespace (root in
 * a fresh user namespace does). Filters stack and are inherited across fork and execve; there
 * is no way back. Given a prepared filter this is one system call; given bytes, it prepares
 * (mmap + copy) first and unmaps after. On failure throws SeccompError with the errno code
 * (EACCES: neither no_new_privs nor CAP_SYS_ADMIN; EINVAL: a bad program or flag).
 */
export function installFilter(
  filter: PreparedFilter | Uint8Array,
  options: { flags?: number } = {},
): void {
  if (filter instanceof Uint8Array) {
    const prepared = prepareFilter(filter);
    try {
      installFilter(prepared, options);
    } finally {
      releaseFilter(prepared);
    }
    return;
  }
  const rc = rawSyscall(
    SYS.SYS_seccomp,
    SECCOMP.SECCOMP_SET_MODE_FILTER,
    options.flags ?? 0,
    filter.address,
  );
  if (rc < 0) {
    const errno = koffi.errno();
    const code = (errnoName as Readonly<Record<number, string>>)[errno] ?? 'UNKNOWN';
    throw new SeccompError(`seccomp: cannot install the filter: ${code} from seccomp`, {
      code,
      errno,
      syscall: 'seccomp',
    });
  }
}

/**
 * The seccomp mode of a process from the `Seccomp:` line of /proc/<pid>/status: 0 none,
 * 1 strict, 2 filter.
 */
export function seccompMode(pid: number | 'self' = 'self'): number {
  const m = /^Seccomp:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) {
    throw new SeccompError(`seccomp: no Seccomp line in /proc/${pid}/status`, {
      code: 'ENOTSUP',
      path: `/proc/${pid}/status`,
    });
  }
  return Number(m[1]);
}
