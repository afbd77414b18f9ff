import { readFileSync, writeFileSync } from 'node:fs';
import { ioctl as IO, netif, socket as S, struct } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';

/**
 * Reads and writes the flags of an interface of the caller's network namespace with
 * SIOCGIFFLAGS/SIOCSIFFLAGS on an AF_INET datagram socket (struct ifreq laid out from the
 * constants). Synchronous koffi calls only, so it may run in a clone(CLONE_VM) child whose
 * event loop is frozen.
 */
function withIfreq<T>(name: string, fn: (fd: number, req: Buffer) => T): T {
  const l = struct.ifreq;
  if (Buffer.byteLength(name) >= netif.IFNAMSIZ)
    throw new RangeError(`interface name "${name}" is too long`);
  const req = Buffer.alloc(l.size);
  req.write(name, l.fields.ifr_name.offset, 'latin1');
  const fd = libc.socket(S.AF_INET, S.SOCK_DGRAM | S.SOCK_CLOEXEC);
  try {
    return fn(fd, req);
  } finally {
    libc.close(fd);
  }
}

// ifr_flags is a short in the machine's byte order; x64 and arm64 Linux are little-endian.
const flagsAt = () => struct.ifreq.fields.ifr_flags.offset;

/** The flags (IFF_*) of an interface of this network namespace. */
export function interfaceFlags(name: string): number {
  return withIfreq(name, (fd, req) => {
    libc.ioctl(fd, IO.SIOCGIFFLAGS, req);
    return req.readUInt16LE(flagsAt());
  });
}

/** Sets IFF_UP on an interface of this network namespace (kept as it is when already up). */
export function bringUp(name: string): void {
  withIfreq(name, (fd, req) => {
    libc.ioctl(fd, IO.SIOCGIFFLAGS, req);
    const flags = req.readUInt16LE(flagsAt());
    if (flags & netif.IFF_UP) return;
    req.writeUInt16LE(flags | netif.IFF_UP, flagsAt());
    libc.ioctl(fd, IO.SIOCSIFFLAGS, req);
  });
}

/** Brings `lo` up: a new network namespace starts with it down (127.0.0.1 unreachable). */
export function bringUpLoopback(): void {
  bringUp('lo');
}

/**
 * Lets the groups of this user namespace open ICMP echo sockets (unprivileged `ping`) in this
 * network namespace, through its net.ipv4.ping_group_range sysctl, which is per network
 * namespace (/proc/sys/net shows the namespace of the process that reads it). Both ends must be
 * mapped ids, so the range is the lowest to the highest gid of /proc/self/gid_map unless given.
 * systemd opens ping to every group on hosts the same way.
 */
export function setPingGroupRange(range?: [number, number]): void {
  const [first, last] = range ?? mappedGidRange(readFileSync('/proc/self/gid_map', 'utf8'));
  writeFileSync('/proc/sys/net/ipv4/ping_group_range', `${first} ${last}\n`);
}

/** The lowest and highest inside ids of an id map's text (`inside outside count` lines). */
export function mappedGidRange(map: string): [number, number] {
  let first = Number.POSITIVE_INFINITY;
  let last = -1;
  for (const line of map.trim().split('\n')) {
    const [inside, , count] = line.trim().split(/\s+/).map(Number);
    if (inside === undefined || count === undefined || !(count > 0)) continue;
    first = Math.min(first, inside);
    last = Math.max(last, inside + count - 1);
  }
  if (last < 0) throw new Error('no gid is mapped in this user namespace');
  return [first, last];
}
