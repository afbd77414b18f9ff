/**
 * `rootless run --network/-p/--dns/--add-host`: parsing (pure, into the RunRequest) and the
 * network's life around the spawn, through @rootless-ts/network.
 */
import { readFileSync } from 'node:fs';
import {
  defaultNetworkMode,
  type HostEntry,
  hostsFile,
  NetworkError,
  type NetworkMode,
  type PortMapping,
  parseAddHost,
  parseDnsServer,
  parseNetworkMode,
  parsePortSpecs,
  resolvConf,
  SLIRP4NETNS_ADDRESS,
} from '@rootless-ts/network';
import { RootlessError } from './errors.js';

/** What was asked for the network; `mode` undefined: the default (pasta, else slirp4netns, else none). */
export interface NetworkRequest {
  mode?: NetworkMode;
  ports: PortMapping[];
  dns: string[];
  addHosts: HostEntry[];
}

/** The network options as commander hands them over. */
export interface RawNetworkOptions {
  network?: string;
  /** `--net`, podman's other spelling of `--network`. */
  net?: string;
  publish?: string[];
  dns?: string[];
  addHost?: string[];
}

/**
 * Validates --network, -p, --dns and --add-host (pure); one RootlessError line on a bad value.
 * Undefined when none is given (the default network).
 */
export function parseNetworkRequest(raw: RawNetworkOptions): NetworkRequest | undefined {
  const mode = raw.network ?? raw.net;
  if (mode === undefined && !raw.publish && !raw.dns && !raw.addHost) return undefined;
  const req: NetworkRequest = { ports: [], dns: [], addHosts: [] };
  try {
    if (mode !== undefined) req.mode = parseNetworkMode(mode);
  } catch (e) {
    throw asRootless('--network', e);
  }
  try {
    req.ports = parsePortSpecs(raw.publish ?? []);
  } catch (e) {
    throw asRootless('-p', e, ' ');
  }
  for (const d of raw.dns ?? []) {
    try {
      req.dns.push(parseDnsServer(d));
    } catch (e) {
      throw asRootless('--dns', e, ' ');
    }
  }
  for (const h of raw.addHost ?? []) {
    try {
      req.addHosts.push(parseAddHost(h));
    } catch (e) {
      // parseAddHost's message names the option and the value already.
      const prefix = `--add-host ${h}: `;
      if (e instanceof NetworkError && e.message.startsWith(prefix))
        throw new RootlessError(`--add-host ${h}`, e.message.slice(prefix.length));
      throw e;
    }
  }
  if (req.mode === 'host' || req.mode === 'none') {
    if (req.ports.length > 0)
      throw new RootlessError('-p', `ports cannot be published with --network ${req.mode}`);
  }
  return req;
}

/**
 * `-p 70000:80: host port …` reads best as one line: the option and the value joined by a
 * space, then the reason (`sep` ' '); otherwise `--network: bridge: unknown …`.
 */
function asRootless(option: string, e: unknown, sep = ': '): unknown {
  if (!(e instanceof NetworkError)) return e;
  const colon = e.message.indexOf(': ');
  if (sep === ' ' && colon > 0)
    return new RootlessError(`${option} ${e.message.slice(0, colon)}`, e.message.slice(colon + 2));
  return new RootlessError(option, e.message);
}

/**
 * --dns and --add-host write the container's /etc files, which only a root filesystem of its
 * own has: without --root the container sees the host's (as for --volume).
 */
export function checkNeedsRoot(req: NetworkRequest | undefined, root: string | undefined): void {
  if (root !== undefined || !req) return;
  const why = "needs --root (without it the container sees the host's files)";
  if (req.dns.length > 0) throw new RootlessError(`--dns ${req.dns[0]}`, why);
  if (req.addHosts.length > 0) {
    const h = req.addHosts[0]!;
    throw new RootlessError(`--add-host ${h.names.join(';')}:${h.ip}`, why);
  }
}

/** The mode to use, and the warning line when the default could not be a connected network. */
export function chooseMode(req: NetworkRequest): { mode: NetworkMode; warning?: string } {
  if (req.mode !== undefined) return { mode: req.mode };
  return defaultNetworkMode();
}

/** The container's /etc/resolv.conf and /etc/hosts for a private network (host files read here). */
export function etcFiles(
  mode: NetworkMode,
  req: NetworkRequest,
  hostname: string | undefined,
): { resolvConf: string; hosts: string } {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    resolvConf: resolvConf({
      mode,
      hostResolvConf: read('/etc/resolv.conf'),
      ...(req.dns.length > 0 ? { dns: req.dns } : {}),
    }),
    hosts: hostsFile({
      mode,
      addHosts: req.addHosts,
      hostHosts: read('/etc/hosts'),
      ...(hostname !== undefined ? { hostname } : {}),
      ...(mode === 'slirp4netns' ? { address: SLIRP4NETNS_ADDRESS } : {}),
    }),
  };
}
