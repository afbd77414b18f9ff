/**
 * A directory of compiled programs, so that a process starting one container does not run
 * libseccomp every time: compiling podman's profile is about 15-20 ms of CPU (loading
 * libseccomp, some 450 rules through FFI, its BPF generation), reading the cached program well
 * under 1 ms.
 *
 * A program is stored under the SHA-256 of what decides it: this package's cache format, the
 * plan (its rules already resolved for the capabilities, the architectures and the running
 * kernel's version) and the machine's architecture. A different libseccomp could build a
 * different program for the same plan, but one with the same meaning, so its version is not part
 * of the key (reading it would load libseccomp, the cost this avoids).
 *
 * Trust: the directory is the caller's (use one only its owner can write: `cacheDir` below is
 * created 0700 and files 0600, written to a temporary name and renamed). Whoever can write it can
 * weaken the next filter, exactly as whoever can write the user's image store can change the next
 * container's files; keep it out of containers' reach like the store. A file that is not a whole
 * BPF program is ignored and replaced.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fcntl as F } from '@rootless-ts/constants';
import { compileFilter } from './compile.js';
import { checkProgram } from './install.js';
import type { FilterPlan } from './plan.js';

/** Bumped whenever what a cached program means changes (the key is hashed with it). */
const CACHE_FORMAT = 'rootless-ts-seccomp-bpf-1';

/** The file name a plan's program is cached under (pure). */
export function cacheKey(plan: FilterPlan): string {
  return createHash('sha256')
    .update(JSON.stringify({ format: CACHE_FORMAT, arch: process.arch, plan }))
    .digest('hex');
}

/** The cached program, if there is a whole one (a missing or bad file is not an error). */
function readCached(path: string): Uint8Array | undefined {
  let fd: number;
  try {
    // Never through a symbolic link planted in the directory.
    fd = openSync(path, F.O_RDONLY | F.O_NOFOLLOW | F.O_CLOEXEC);
  } catch {
    return undefined;
  }
  try {
    const bpf = new Uint8Array(readFileSync(fd));
    checkProgram(bpf);
    return bpf;
  } catch {
    return undefined;
  } finally {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
  }
}

/**
 * compileFilter(plan), through the cache directory `dir`: the cached program when there is one,
 * else a new one, stored for next time. Failing to create the directory or to store the file
 * only costs the compilation.
 */
export function compileFilterCached(plan: FilterPlan, dir: string): Uint8Array {
  const path = join(dir, `${cacheKey(plan)}.bpf`);
  const cached = readCached(path);
  if (cached) return cached;
  const bpf = compileFilter(plan);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, bpf, { mode: 0o600, flag: 'wx' });
      renameSync(tmp, path);
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch {
    // A read-only or full cache: the program is still good.
  }
  return bpf;
}
