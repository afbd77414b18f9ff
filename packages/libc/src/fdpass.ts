import { socket as S, struct } from '@rootless-ts/constants';
import koffi, { type TypeObject } from 'koffi';
import { check, fn } from './library.js';

/**
 * Passing descriptors over a UNIX socket (SCM_RIGHTS): sendmsg/recvmsg with one control
 * message. Node offers this only on its own IPC channel; a container runtime needs it to hand
 * a terminal's master side from inside the container to the parent.
 */

let types: { msghdr: TypeObject } | undefined;
function msghdrType(): TypeObject {
  if (!types) {
    const iovec = koffi.struct('rts_iovec', { iov_base: 'void *', iov_len: 'size_t' });
    const msghdr = koffi.struct('rts_msghdr', {
      msg_name: 'void *',
      msg_namelen: 'uint32_t',
      msg_iov: koffi.pointer(iovec),
      msg_iovlen: 'size_t',
      msg_control: 'void *',
      msg_controllen: 'size_t',
      msg_flags: 'int',
    });
    types = { msghdr };
  }
  return types.msghdr;
}

// struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data, aligned
// to size_t (CMSG_ALIGN).
const WORD = struct.size_t.size;
const align = (n: number) => Math.ceil(n / WORD) * WORD;
const CMSG_HEADER = align(WORD + 8);
const cmsgSpace = (dataLength: number) => CMSG_HEADER + align(dataLength);

/** Sends descriptors (and at least one byte of data, which SCM_RIGHTS needs) over a UNIX socket. */
export function sendFds(
  sock: number,
  fds: readonly number[],
  data: Uint8Array | string = '\0',
): number {
  msghdrType();
  const payload = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  if (payload.length === 0) throw new TypeError('sendFds: data must not be empty');
  const control = Buffer.alloc(fds.length > 0 ? cmsgSpace(4 * fds.length) : 0);
  if (fds.length > 0) {
    control.writeBigUInt64LE(BigInt(CMSG_HEADER + 4 * fds.length), 0);
    control.writeInt32LE(S.SOL_SOCKET, WORD);
    control.writeInt32LE(S.SCM_RIGHTS, WORD + 4);
    for (const [i, fd] of fds.entries()) control.writeInt32LE(fd, CMSG_HEADER + 4 * i);
  }
  const msg = {
    msg_name: null,
    msg_namelen: 0,
    msg_iov: [{ iov_base: payload, iov_len: payload.length }],
    msg_iovlen: 1,
    msg_control: control.length > 0 ? control : null,
    msg_controllen: control.length,
    msg_flags: 0,
  };
  return check(
    Number(fn('long sendmsg(int fd, const rts_msghdr *msg, int flags)')(sock, msg, S.MSG_NOSIGNAL)),
    'sendmsg',
  );
}

export interface ReceivedFds {
  /** The bytes received (empty at end of stream). */
  data: Buffer;
  /** The descriptors received, opened close-on-exec. */
  fds: number[];
}

/** Receives data and descriptors sent with sendFds (blocking unless the socket is non-blocking or `flags` say so). */
export function recvFds(
  sock: number,
  options: { maxFds?: number; maxData?: number; flags?: number } = {},
): ReceivedFds {
  msghdrType();
  const data = Buffer.alloc(options.maxData ?? 256);
  const control = Buffer.alloc(cmsgSpace(4 * (options.maxFds ?? 16)));
  const msg = {
    msg_name: null,
    msg_namelen: 0,
    msg_iov: [{ iov_base: data, iov_len: data.length }],
    msg_iovlen: 1,
    msg_control: control,
    msg_controllen: control.length,
    msg_flags: 0,
  };
  const n = check(
    Number(
      fn('long recvmsg(int fd, _Inout_ rts_msghdr *msg, int flags)')(
        sock,
        msg,
        S.MSG_CMSG_CLOEXEC | (options.flags ?? 0),
      ),
    ),
    'recvmsg',
  );
  const fds: number[] = [];
  // Walk the control messages the kernel filled in.
  for (let off = 0; off + CMSG_HEADER <= Number(msg.msg_controllen); ) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < CMSG_HEADER) break;
    const level = control.readInt32LE(off + WORD);
    const type = control.readInt32LE(off + WORD + 4);
    if (level === S.SOL_SOCKET && type === S.SCM_RIGHTS) {
      for (let p = off + CMSG_HEADER; p + 4 <= off + len; p += 4) fds.push(control.readInt32LE(p));
    }
    off += align(len);
  }
  return { data: data.subarray(0, n), fds };
}
