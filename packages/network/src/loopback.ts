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
 * namespace (/proc/sys/net shows the namespace of the process that reads it). The range is
 * written in inside ids but kept and compared as host ids, so by default it is chosen from
 * /proc/self/gid_map to span every mapped group's host id (see pingGroupRange). systemd opens
 * ping to every group on hosts the same way.
 */
export function setPingGroupRange(range?: [number, number]): void {
  const [first, last] = range ?? pingGroupRange(readFileSync('/proc/self/gid_map', 'utf8'));
  writeFileSync('/proc/sys/net/ipv4/ping_group_range', `${first} ${last}\n`);
}

/**
 * The inside ids to write to ping_group_range so that every mapped group may ping: the kernel
 * turns both ends into host ids and compares a process's host gid with them, so the ends are the
 * inside ids of the lowest and the highest host id mapped (`1100 1001 1` + `0 200000 1100` +
 * `1101 201100 64436` gives 1100..65536, host 1001..265535). Where that range would run
 * backwards inside, the largest single line of the map.
 */
export function pingGroupRange(map: string): [number, number] {
  const lines = map
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number])
    .filter(([inside, outside, count]) => count > 0 && inside >= 0 && outside >= 0);
  if (lines.length === 0) throw new Error('no gid is mapped in this user namespace');
  const low = lines.reduce((a, b) => (b[1] < a[1] ? b : a));
  const high = lines.reduce((a, b) => (b[1] + b[2] > a[1] + a[2] ? b : a));
  const first = low[0];
  const last = high[0] + high[2] - 1;
  if (first <= last) return [first, last];
  const biggest = lines.reduce((a, b) => (b[2] > a[2] ? b : a));
  return [biggest[0], biggest[0] + biggest[2] - 1];
}

/**
 * Lets every user of this network namespace bind ports below 1024, through its
 * net.ipv4.ip_unprivileged_port_start sysctl (per network namespace), as docker does in its
 * containers: the namespace is the container's own, and the host's ports are only reached
 * through what is published.
 */
export function setUnprivilegedPortStart(port = 0): void {
  writeFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', `${port}\n`);
}
