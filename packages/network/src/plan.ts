import { PASTA_DNS_FORWARD, SLIRP4NETNS_ADDRESS } from './dns.js';
import { NetworkError } from './errors.js';
import type { PortMapping } from './ports.js';

/** A port mapping whose host port is known. */
export type ResolvedPort = PortMapping & { hostPort: number };

/** The /proc paths by which a helper joins the container's network and user namespaces. */
export function namespacePaths(pid: number): { net: string; user: string } {
  if (!Number.isInteger(pid) || pid <= 0)
    throw new NetworkError('ERR_BAD_NETWORK', `bad container pid ${pid}`);
  return { net: `/proc/${pid}/ns/net`, user: `/proc/${pid}/ns/user` };
}

/** The helper's own descriptors of the container's namespaces, opened for it by its parent. */
export interface NamespaceFds {
  net: number;
  user: number;
}

/**
 * The paths a helper joins the namespaces by: its inherited descriptors when it has them
 * (`/proc/self/fd/N`), else the container's /proc entries. Opening /proc/PID/ns/* needs ptrace
 * access to the container's first process, which ends when that process takes ids of the user
 * namespace (root inside is a subordinate id): a helper started beside the setup is handed
 * descriptors its parent opened while the process was still the caller's.
 */
function joinPaths(pid: number, fds: NamespaceFds | undefined): { net: string; user: string } {
  const byPid = namespacePaths(pid);
  return fds ? { net: `/proc/self/fd/${fds.net}`, user: `/proc/self/fd/${fds.user}` } : byPid;
}

function refuseSctp(helper: string, ports: readonly PortMapping[]): void {
  const sctp = ports.find((p) => p.protocol === 'sctp');
  if (sctp) {
    throw new NetworkError(
      'ERR_BAD_PORT',
      `${helper} cannot publish sctp ports (${sctp.containerPort}/sctp): only rootful networks can`,
      { helper },
    );
  }
}

/** pasta's port spec: `[ADDR/]HOST[-END]:CONTAINER[-END]`. */
function pastaPort(p: ResolvedPort): string {
  const range = (start: number) => (p.count > 1 ? `${start}-${start + p.count - 1}` : `${start}`);
  return `${p.hostIp !== undefined ? `${p.hostIp}/` : ''}${range(p.hostPort)}:${range(p.containerPort)}`;
}

export interface PastaPlan {
  pid: number;
  /** Descriptors of the namespaces in the helper (default: join by /proc/PID). */
  nsFds?: NamespaceFds;
  ports?: readonly ResolvedPort[];
  /** The descriptor pasta writes its pid to once the network is configured (its readiness). */
  readyFd: number;
  mtu?: number;
  /**
   * The caller is root (uid 0). pasta started by root switches to `nobody`, which may not open
   * the container's user namespace (root made it): it must keep the caller's identity.
   */
  callerIsRoot?: boolean;
}

/**
 * pasta's arguments. It joins the namespaces by their /proc paths, configures the interface,
 * addresses and routes (`--config-net`), and stays in the foreground, so that it stays our child
 * (and dies with us); its pid, written to `readyFd` once configured, says the network is up.
 * Nothing is forwarded but the published ports: `-T none -U none` (no container → host port
 * forwarding, which would expose the host's loopback services), `--no-map-gw` (the gateway
 * address is not the host's loopback), `-t none`/`-u none` where no port of that protocol is
 * published (pasta's default, `auto`, follows every port the container listens on, and UDP
 * follows TCP unless told). DNS to 169.254.1.1 goes to the host's resolver, as with podman.
 */
export function pastaArgs(plan: PastaPlan): string[] {
  const ns = joinPaths(plan.pid, plan.nsFds);
  const ports = plan.ports ?? [];
  refuseSctp('pasta', ports);
  const args = ['--foreground', '--quiet', '--config-net'];
  args.push('--netns', ns.net, '--userns', ns.user);
  for (const [flag, proto] of [
    ['-t', 'tcp'],
    ['-u', 'udp'],
  ] as const) {
    const these = ports.filter((p) => p.protocol === proto);
    if (these.length === 0) args.push(flag, 'none');
    for (const p of these) args.push(flag, pastaPort(p));
  }
  args.push('-T', 'none', '-U', 'none', '--no-map-gw');
  args.push('--dns-forward', PASTA_DNS_FORWARD);
  if (plan.mtu !== undefined) args.push('--mtu', String(plan.mtu));
  args.push('--pid', `/dev/fd/${plan.readyFd}`);
  if (plan.callerIsRoot) args.push('--runas', '0:0');
  return args;
}

export interface Slirp4netnsPlan {
  pid: number;
  /** Descriptors of the namespaces in the helper (default: join by /proc/PID). */
  nsFds?: NamespaceFds;
  readyFd: number;
  exitFd: number;
  apiSocket?: string;
  mtu?: number;
}

/**
 * slirp4netns's arguments, as podman runs it: the interface configured (`--configure`), MTU
 * 65520, the host's loopback out of reach (`--disable-host-loopback`), a seccomp filter
 * (`--enable-seccomp`). Not `--enable-sandbox`, which podman passes: its setegid(0) needs the
 * caller to be root in a user namespace already (podman runs it from its own), and fails with
 * EPERM ("parent failed") when started by a plain user from the host. It writes to `readyFd` once the
 * network is up and exits when `exitFd` reaches EOF (we hold the other end: it closes when we
 * close the network or die). Ports are added through `apiSocket` (add_hostfwd).
 */
export function slirp4netnsArgs(plan: Slirp4netnsPlan): string[] {
  const ns = joinPaths(plan.pid, plan.nsFds);
  const args = [
    '--configure',
    `--mtu=${plan.mtu ?? 65520}`,
    '--disable-host-loopback',
    '--enable-seccomp',
    `--ready-fd=${plan.readyFd}`,
    `--exit-fd=${plan.exitFd}`,
  ];
  if (plan.apiSocket !== undefined) args.push(`--api-socket=${plan.apiSocket}`);
  args.push('--netns-type=path', `--userns-path=${ns.user}`, ns.net, 'tap0');
  return args;
}

/** slirp4netns API requests publishing the ports, one per port (hostfwd has no ranges). */
export function slirpHostfwdRequests(ports: readonly ResolvedPort[]): Array<{
  execute: 'add_hostfwd';
  arguments: {
    proto: 'tcp' | 'udp';
    host_addr: string;
    host_port: number;
    guest_addr: string;
    guest_port: number;
  };
}> {
  refuseSctp('slirp4netns', ports);
  return ports.flatMap((p) =>
    Array.from({ length: p.count }, (_, i) => ({
      execute: 'add_hostfwd' as const,
      arguments: {
        proto: p.protocol as 'tcp' | 'udp',
        host_addr: p.hostIp ?? '0.0.0.0',
        host_port: p.hostPort + i,
        guest_addr: SLIRP4NETNS_ADDRESS,
        guest_port: p.containerPort + i,
      },
    })),
  );
}
