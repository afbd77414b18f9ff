import { check, fn } from './library.js';

/**
 * `getrandom(2)` with no flags (the urandom source, once it is initialized): `length` random
 * bytes. For a temporary name or an id, this costs a system call where loading `node:crypto`
 * costs about 8 ms of a command's start.
 */
export function getrandom(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0)
    throw new RangeError(`getrandom: bad length ${length}`);
  const buf = Buffer.alloc(length);
  // Reads of more than 256 bytes may be short.
  for (let off = 0; off < length; ) {
    off += check(
      fn('intptr_t getrandom(void *buf, size_t buflen, unsigned int flags)')(
        buf.subarray(off),
        length - off,
        0,
      ),
      'getrandom',
    );
  }
  return buf;
}
