/**
 * A directory of compiled programs, so that a process starting one container does not run
 * libseccomp every time: compiling podman's profile is about 15-20 ms of CPU (loading
 * libseccomp, some 450 rules through FFI, its BPF generation), reading the cached program well
 * under 1 ms.
 *
 * What decides a program is its key: this package's cache format, the machine's architecture
 * and the plan (its rules already resolved for the capabilities, the architectures and the
 * running kernel's version), as JSON. A file holds the key itself, then the program; a program
 * is used only when the key stored with it is exactly the one asked for. So the file name needs
 * no cryptographic hash (loading node:crypto costs about 11 ms of a CLI's start): it is a 64-bit
 * FNV-1a (word by word) of the key, and two keys with the same name only replace each other's file. A different
 * libseccomp could build a different program for the same plan, but one with the same meaning,
 * so its version is not part of the key (reading it would load libseccomp, the cost this avoids).
 *
 * Trust: the directory is the caller's (use one only its owner can write: `cacheDir` below is
 * created 0700 and files 0600, written to a temporary name and renamed). Whoever can write it can
 * weaken the next filter, exactly as whoever can write the user's image store can change the next
 * container's files; keep it out of containers' reach like the store. A file that is not a whole
 * entry (its key, then a whole BPF program) is ignored and replaced.
 */
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

/** Bumped whenever what a cached program means changes (it is part of every key). */
const CACHE_FORMAT = 'rootless-ts-seccomp-bpf-2';

/** Bytes of the key's length at the start of a file (little-endian). */
const LENGTH_BYTES = 4;

/** What decides a plan's program, as the bytes stored with it (pure). */
function keyBytes(plan: FilterPlan): Buffer {
  return Buffer.from(JSON.stringify({ format: CACHE_FORMAT, arch: process.arch, plan }));
}

/**
 * FNV-1a over 32-bit words (then the last bytes), 64 bits as two halves with different offsets
 * (pure). Word by word: byte by byte took about 3 ms for podman's plan.
 */
function fnv64(bytes: Uint8Array): string {
  let a = 0x811c9dc5;
  let b = 0xcbf29ce4;
  const whole = bytes.length & ~3;
  // An aligned copy: a Buffer's bytes may start anywhere in its pool.
  const words = new Int32Array(new Uint8Array(bytes.subarray(0, whole)).buffer);
  for (let i = 0; i < words.length; i++) {
    a = Math.imul(a ^ words[i]!, 0x01000193);
    b = Math.imul(b ^ words[i]!, 0x01000193);
  }
  for (let i = whole; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i]!, 0x01000193);
    b = Math.imul(b ^ bytes[i]!, 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** The file name a plan's program is cached under (pure). */
export function cacheKey(plan: FilterPlan): string {
  return fnv64(keyBytes(plan));
}

/** The cached program for `key`, if the file holds that key and a whole program. */
function readCached(path: string, key: Buffer): Uint8Array | undefined {
  let fd: number;
  try {
    // Never through a symbolic link planted in the directory.
    fd = openSync(path, F.O_RDONLY | F.O_NOFOLLOW | F.O_CLOEXEC);
  } catch {
    return undefined;
  }
  try {
    const data = readFileSync(fd);
    if (data.length < LENGTH_BYTES) return undefined;
    const length = data.readUInt32LE(0);
    const stored = data.subarray(LENGTH_BYTES, LENGTH_BYTES + length);
    if (!stored.equals(key)) return undefined;
    const bpf = new Uint8Array(data.subarray(LENGTH_BYTES + length));
    checkProgram(bpf);
    return bpf;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * compileFilter(plan), through the cache directory `dir`: the cached program when there is one,
 * else a new one, stored for next time. Failing to create the directory or to store the file
 * only costs the compilation.
 */
export function compileFilterCached(plan: FilterPlan, dir: string): Uint8Array {
  const key = keyBytes(plan);
  const path = join(dir, `${fnv64(key)}.bpf`);
  const cached = readCached(path, key);
  if (cached) return cached;
  const bpf = compileFilter(plan);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      const length = Buffer.alloc(LENGTH_BYTES);
      length.writeUInt32LE(key.length);
      writeFileSync(tmp, Buffer.concat([length, key, bpf]), { mode: 0o600, flag: 'wx' });
      renameSync(tmp, path);
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch {
    // A read-only or full cache: the program is still good.
  }
  return bpf;
}
