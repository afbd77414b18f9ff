import koffi from 'koffi';
import { errnoError } from './errors.js';
import { fn, lastErrno } from './library.js';

const MAP_FAILED = 0xffffffffffffffffn;

/**
 * `mmap(2)`: returns the mapping's address as a bigint. `fd` -1 and MAP_ANONYMOUS for anonymous
 * memory; MAP_SHARED|MAP_ANONYMOUS memory stays shared with children made by fork or clone.
 */
export function mmap(
  addr: bigint | null,
  length: number | bigint,
  prot: number,
  flags: number,
  fd = -1,
  offset: bigint | number = 0n,
): bigint {
  const ret = fn(
    'void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)',
  )(addr, length, prot, flags, fd, BigInt(offset)) as bigint | null;
  const address = ret === null ? 0n : BigInt.asUintN(64, BigInt(ret));
  if (address === MAP_FAILED) throw errnoError(lastErrno(), 'mmap');
  return address;
}

/** `munmap(2)`. */
export function munmap(addr: bigint, length: number | bigint): void {
  const ret = fn('int munmap(void *addr, size_t length)')(addr, length) as number;
  if (ret < 0) throw errnoError(lastErrno(), 'munmap');
}

/** A byte view (no copy) of native memory, e.g. an mmap'd region; valid until it is unmapped. */
export function memoryView(addr: bigint, length: number): Uint8Array {
  return new Uint8Array(koffi.view(addr, length));
}
