import { isIP } from './address.js';
import { NetworkError } from './errors.js';

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

/**
 * One published port or range, as podman's `-p [[IP:][HOSTPORT]:]CONTAINERPORT[/PROTOCOL]`
 * describes it: `count` consecutive container ports from `containerPort`, published on as many
 * host ports from `hostPort` (undefined: free ports chosen when the network starts), on
 * `hostIp` (undefined: every address).
 */
export interface PortMapping {
  hostIp?: string;
  hostPort?: number;
  containerPort: number;
  count: number;
  protocol: PortProtocol;
}

const PROTOCOLS: readonly PortProtocol[] = ['tcp', 'udp', 'sctp'];

const bad = (spec: string, why: string) => new NetworkError('ERR_BAD_PORT', `${spec}: ${why}`);

/** A port or a range `A-B` (B > A), each in 1-65535; `what` names it in errors. */
function parseRange(spec: string, text: string, what: string): { start: number; count: number } {
  const parts = text.split('-');
  if (parts.length > 2) throw bad(spec, `${what} "${text}" is not a port or a range START-END`);
  const nums = parts.map((p) => {
    if (p === '') throw bad(spec, `${what} "${text}" is not a port or a range START-END`);
    if (!/^\d+$/.test(p)) throw bad(spec, `${what} "${p}" is not a number`);
    const n = Number(p);
    if (n < 1 || n > 65535) throw bad(spec, `${what} ${p} is out of range 1-65535`);
    return n;
  });
  const [start, end = start] = nums as [number, number?];
  if (end <= start && nums.length === 2)
    throw bad(spec, `${what} range ${text} must end above its start`);
  return { start, count: end - start + 1 };
}

/**
 * Parses one `-p` value as podman does: `80`, `8080:80`, `127.0.0.1:8080:80`, `127.0.0.1::80`
 * (host port chosen), `[::1]:8080:80`, `8000-8010:80-90`, with `/tcp` (default), `/udp`,
 * `/sctp`, or `/tcp,udp` (one mapping per protocol). Throws a NetworkError (`ERR_BAD_PORT`)
 * whose message is one line: the spec, then what is wrong with it.
 */
export function parsePortSpec(spec: string): PortMapping[] {
  if (typeof spec !== 'string' || spec.trim() === '') throw bad(String(spec), 'empty port spec');
  const slash = spec.split('/');
  if (slash.length > 2) throw bad(spec, 'the protocol can only be given once');
  const protocols = (slash[1] ?? 'tcp').split(',');
  for (const p of protocols) {
    if (!(PROTOCOLS as readonly string[]).includes(p))
      throw bad(spec, `unknown protocol "${p}" (tcp, udp or sctp)`);
  }
  let rest = slash[0]!;
  let hostIp: string | undefined;
  let hasIp = false;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw bad(spec, 'an IPv6 address must be enclosed in []');
    hostIp = rest.slice(1, close);
    if (rest[close + 1] !== ':') throw bad(spec, `the address [${hostIp}] must be followed by ":"`);
    if (isIP(hostIp) !== 6) throw bad(spec, `"${hostIp}" is not an IPv6 address`);
    rest = rest.slice(close + 2);
    hasIp = true;
  } else if (rest.includes(']')) {
    throw bad(spec, 'an IPv6 address must be enclosed in []');
  }
  const parts = rest.split(':');
  let hostText: string | undefined;
  let containerText: string;
  if (hasIp) {
    if (parts.length !== 2)
      throw bad(spec, 'with an IPv6 address the form is [IP]:HOSTPORT:CONTAINERPORT');
    [hostText, containerText] = parts as [string, string];
  } else if (parts.length === 1) {
    containerText = parts[0]!;
  } else if (parts.length === 2) {
    [hostText, containerText] = parts as [string, string];
  } else if (parts.length === 3) {
    const ip = parts[0]!;
    if (ip === '') throw bad(spec, 'empty host address');
    if (isIP(ip) === 0) throw bad(spec, `"${ip}" is not an IP address`);
    hostIp = ip;
    [, hostText, containerText] = parts as [string, string, string];
  } else {
    throw bad(spec, 'the form is [[IP:][HOSTPORT]:]CONTAINERPORT[/PROTOCOL]');
  }
  if (containerText === '') throw bad(spec, 'the container port is missing');
  const container = parseRange(spec, containerText, 'container port');
  let hostPort: number | undefined;
  if (hostText !== undefined && hostText !== '') {
    const host = parseRange(spec, hostText, 'host port');
    if (host.count !== container.count) {
      throw bad(
        spec,
        `the host range has ${host.count} port(s) and the container range ${container.count}`,
      );
    }
    hostPort = host.start;
  }
  // 0.0.0.0 means every address, as no address does (podman and docker treat them alike).
  if (hostIp === '0.0.0.0') hostIp = undefined;
  return protocols.map((protocol) => ({
    ...(hostIp !== undefined ? { hostIp } : {}),
    ...(hostPort !== undefined ? { hostPort } : {}),
    containerPort: container.start,
    count: container.count,
    protocol: protocol as PortProtocol,
  }));
}

/**
 * Parses every `-p` value and refuses a host port published twice (same address family and
 * address, or every address, and protocol): the second bind would fail inside the helper.
 */
export function parsePortSpecs(specs: readonly string[]): PortMapping[] {
  const all = specs.flatMap((s) => parsePortSpec(s).map((m) => ({ spec: s, m })));
  for (let i = 0; i < all.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = all[i]!.m;
      const b = all[j]!.m;
      if (a.hostPort === undefined || b.hostPort === undefined || a.protocol !== b.protocol)
        continue;
      const sameAddr = a.hostIp === undefined || b.hostIp === undefined || a.hostIp === b.hostIp;
      const overlap = a.hostPort < b.hostPort + b.count && b.hostPort < a.hostPort + a.count;
      if (sameAddr && overlap) {
        throw bad(
          all[i]!.spec,
          `host port ${a.hostPort}/${a.protocol} is already published by ${all[j]!.spec}`,
        );
      }
    }
  }
  return all.map((x) => x.m);
}

/** `80/tcp -> 127.0.0.1:8080` (`podman port`'s form), one line per range. */
export function formatPortMapping(m: PortMapping): string {
  const range = (start: number | undefined) =>
    start === undefined ? '?' : m.count > 1 ? `${start}-${start + m.count - 1}` : `${start}`;
  const ip =
    m.hostIp === undefined ? '0.0.0.0' : m.hostIp.includes(':') ? `[${m.hostIp}]` : m.hostIp;
  return `${range(m.containerPort)}/${m.protocol} -> ${ip}:${range(m.hostPort)}`;
}
