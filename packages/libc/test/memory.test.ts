import { mman } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import {
  close,
  type ErrnoError,
  memoryView,
  mmap,
  munmap,
  pipe2,
  read,
  write,
} from '../src/index.js';

describe('mmap', () => {
  it('maps, is written and read through a view and through syscalls, and unmaps', () => {
    const size = 2 * 4096;
    const addr = mmap(
      null,
      size,
      mman.PROT_READ | mman.PROT_WRITE,
      mman.MAP_PRIVATE | mman.MAP_ANONYMOUS,
    );
    expect(typeof addr).toBe('bigint');
    expect(addr % 4096n).toBe(0n);
    const view = memoryView(addr, size);
    expect(view.every((b) => b === 0)).toBe(true);
    view.set(Buffer.from('mapped'), 4096);
    // The kernel sees the same bytes: write them from the mapping's memory through a pipe.
    const [r, w] = pipe2();
    write(w, view.subarray(4096, 4096 + 6));
    const buf = Buffer.alloc(6);
    read(r, buf);
    expect(buf.toString()).toBe('mapped');
    close(r);
    close(w);
    munmap(addr, size);
  });

  it('a bad mapping throws an ErrnoError', () => {
    let e: ErrnoError | undefined;
    try {
      mmap(null, 0, mman.PROT_READ, mman.MAP_PRIVATE | mman.MAP_ANONYMOUS);
    } catch (err) {
      e = err as ErrnoError;
    }
    expect(e?.code).toBe('EINVAL');
    expect(e?.syscall).toBe('mmap');
  });
});
