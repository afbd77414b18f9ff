import { isIP } from './address.js';
import { NetworkError } from './errors.js';
import type { NetworkMode } from './mode.js';

/** The address pasta is told to answer DNS on (`--dns-forward`), as podman uses. */
export const PASTA_DNS_FORWARD = '169.254.1.1';
/** slirp4netns's built-in DNS forwarder (its default 10.0.2.0/24 network). */
export const SLIRP4NETNS_DNS = '10.0.2.3';
/** The container's own address on slirp4netns's default network. */
export const SLIRP4NETNS_ADDRESS = '10.0.2.100';

/** The DNS forwarder a mode provides inside the container, if any. */
export function dnsForwarder(mode: NetworkMode): string | undefined {
  if (mode === 'pasta') return PASTA_DNS_FORWARD;
  if (mode === 'slirp4netns') return SLIRP4NETNS_DNS;
  return undefined;
}

/** Validates a `--dns` value: an IPv4 or IPv6 address. */
export function parseDnsServer(value: string): string {
  if (isIP(value) === 0)
    throw new NetworkError('ERR_BAD_NETWORK', `${value}: not an IP address (--dns takes one)`);
  return value;
}

export interface HostEntry {
  names: string[];
  ip: string;
}

const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/**
 * Parses an `--add-host` value as podman does: `NAME:IP`, several names joined with `;`
 * (`a;b:10.0.0.1`), an IPv6 address after the first colon (`name:::1`, also `name:[::1]`).
 */
export function parseAddHost(value: string): HostEntry {
  const fail = (why: string) => new NetworkError('ERR_BAD_NETWORK', `--add-host ${value}: ${why}`);
  const colon = value.indexOf(':');
  if (colon < 0) throw fail('the form is NAME:IP');
  const names = value.slice(0, colon).split(';');
  let ip = value.slice(colon + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  for (const n of names) {
    if (!HOSTNAME.test(n) || n.length > 253) throw fail(`"${n}" is not a host name`);
  }
  if (ip === 'host-gateway')
    throw fail('host-gateway is not supported: the host is not reachable from a private network');
  if (isIP(ip) === 0) throw fail(`"${ip}" is not an IP address`);
  return { names, ip };
}

/** nameserver, search and options lines of a resolv.conf (comments and the rest ignored). */
export function parseResolvConf(text: string): {
  nameservers: string[];
  search: string[];
  options: string[];
} {
  const out = { nameservers: [] as string[], search: [] as string[], options: [] as string[] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0]) out.nameservers.push(values[0]);
    // The last search line wins, as in glibc.
    else if (key === 'search' || key === 'domain') out.search = values;
    else if (key === 'options') out.options.push(...values);
  }
  return out;
}

const isLoopback = (ip: string) => /^127\./.test(ip) || ip === '::1';

export interface ResolvConfRequest {
  mode: NetworkMode;
  /** The host's /etc/resolv.conf text (read it with fs; this function stays pure). */
  hostResolvConf: string;
  /** `--dns`: replaces every nameserver. */
  dns?: readonly string[];
  /** `--dns-search`, `--dns-option`: replace the host's search list and options. */
  dnsSearch?: readonly string[];
  dnsOptions?: readonly string[];
}

/**
 * The container's /etc/resolv.conf. With `--dns`, those servers only. Otherwise the helper's
 * forwarder first (pasta's 169.254.1.1, slirp4netns's 10.0.2.3, which reach the host's own
 * resolver, loopback ones included), then the host's servers that are not on its loopback (a
 * private network cannot reach those). `host` keeps the host's file as it is. `none` keeps the
 * host's non-loopback servers: useless without a network, but what podman writes too.
 */
export function resolvConf(req: ResolvConfRequest): string {
  if (req.mode === 'host' && !req.dns && !req.dnsSearch && !req.dnsOptions)
    return req.hostResolvConf;
  const host = parseResolvConf(req.hostResolvConf);
  let servers: string[];
  if (req.dns && req.dns.length > 0) servers = req.dns.map(parseDnsServer);
  else {
    const forwarder = dnsForwarder(req.mode);
    const kept =
      req.mode === 'host' ? host.nameservers : host.nameservers.filter((s) => !isLoopback(s));
    servers = [...(forwarder ? [forwarder] : []), ...kept.filter((s) => s !== forwarder)];
  }
  const search = req.dnsSearch ? [...req.dnsSearch] : host.search;
  const options = req.dnsOptions ? [...req.dnsOptions] : host.options;
  const lines: string[] = [];
  if (search.length > 0 && !(search.length === 1 && search[0] === '.'))
    lines.push(`search ${search.join(' ')}`);
  for (const s of servers) lines.push(`nameserver ${s}`);
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export interface HostsRequest {
  mode: NetworkMode;
  /** The container's hostname, mapped to its own address. */
  hostname?: string;
  /** The container's address on its network, when known (slirp4netns: 10.0.2.100). */
  address?: string;
  /** `--add-host` entries, parsed or as typed. */
  addHosts?: ReadonlyArray<HostEntry | string>;
  /** The host's /etc/hosts text, kept as it is for `host` mode. */
  hostHosts?: string;
}

/**
 * The container's /etc/hosts: the `--add-host` entries, localhost on 127.0.0.1 and ::1, then the
 * hostname on the container's address (on the loopback addresses when it has none we know). `host` mode starts from the host's own file, as podman does.
 */
export function hostsFile(req: HostsRequest): string {
  // --add-host entries first: the first match wins, and they are what the user asked for.
  const entries = (req.addHosts ?? []).map((h) => (typeof h === 'string' ? parseAddHost(h) : h));
  const lines = entries.map((e) => `${e.ip}\t${e.names.join(' ')}`);
  if (req.mode === 'host' && req.hostHosts !== undefined) {
    lines.push(...req.hostHosts.replace(/\n+$/, '').split('\n'));
  } else {
    lines.push('127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4');
    lines.push('::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6');
  }
  if (req.hostname) {
    if (!HOSTNAME.test(req.hostname))
      throw new NetworkError('ERR_BAD_NETWORK', `"${req.hostname}" is not a host name`);
    if (req.address) lines.push(`${req.address}\t${req.hostname}`);
    else if (req.mode !== 'host') {
      lines.push(`127.0.0.1\t${req.hostname}`);
      lines.push(`::1\t${req.hostname}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
