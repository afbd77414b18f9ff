import { isAbsolute, resolve } from 'node:path';
import {
  DEFAULT_DEV_SYMLINKS,
  DEFAULT_DEVICES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
} from './defaults.js';
import { MountError } from './errors.js';
import { containerPath, pathDepth } from './paths.js';
import { hostProbe } from './probe.js';
import type {
  EtcFileSource,
  HostProbe,
  MountAttr,
  MountOp,
  RootfsOptions,
  TargetKind,
} from './types.js';

const NOSUID_NODEV_NOEXEC: MountAttr[] = ['nosuid', 'nodev', 'noexec'];

/** /etc/hosts for a container with its own network namespace (podman's layout). */
export function generatedHosts(hostname?: string): string {
  let s = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
  if (hostname) s += `127.0.1.1\t${hostname}\n`;
  return s;
}

function planError(message: string, path: string, code?: string): MountError {
  return new MountError('plan', message, code === undefined ? { path } : { path, code });
}

function sourceKind(probe: HostProbe, source: string, what: string): TargetKind {
  const kind = probe.kind(source);
  if (kind === 'missing') {
    throw planError(`${what} ${source} does not exist`, source, 'ENOENT');
  }
  return kind === 'dir' ? 'dir' : 'file';
}

/** The op providing an /etc file, or nothing. Host files are bound read-only (they are the host's). */
function etcFile(target: string, source: EtcFileSource, probe: HostProbe): MountOp | undefined {
  if (source === 'none') return undefined;
  if (source === 'host') {
    // A host without the file (no resolver configured) simply gives the image's own.
    if (probe.kind(target) === 'missing') return undefined;
    return { op: 'bind', source: target, target, recursive: false, readonly: true, create: 'file' };
  }
  return { op: 'file', target, content: source.content, mode: 0o644, readonly: false };
}

/**
 * The ordered operations turning `options.root` into a container root, for applyPlan to run
 * inside new user+mount(+pid) namespaces. Pure apart from `probe`, which tells what host paths
 * are (files or directories, so that missing targets are created to match, and missing
 * sources fail here, before any namespace exists).
 *
 * Order: propagation, root bind, /proc, /dev (tmpfs, devpts, shm, mqueue, device binds,
 * symlinks), /sys, /etc files, user volumes and tmpfs (parents before children), masked paths,
 * read-only paths, the working directory, the read-only root, pivot_root, chdir. Masks and
 * read-only paths come after user mounts so a volume cannot uncover them (runc's order).
 */
export function planRootfs(options: RootfsOptions, probe: HostProbe = hostProbe): MountOp[] {
  if (!isAbsolute(options.root)) {
    throw planError(`root ${JSON.stringify(options.root)} must be an absolute path`, options.root);
  }
  const root = resolve(options.root);
  const rootKind = probe.kind(root);
  if (rootKind === 'missing') throw planError(`root ${root} does not exist`, root, 'ENOENT');
  if (rootKind !== 'dir') throw planError(`root ${root} is not a directory`, root, 'ENOTDIR');

  // User mounts, validated and normalized; the same target twice is a mistake (podman refuses it).
  const user: MountOp[] = [];
  const seen = new Set<string>();
  const claim = (target: string) => {
    if (target === '/') throw planError("cannot mount over the container's /", target);
    if (seen.has(target)) throw planError(`two mounts target ${target}`, target);
    seen.add(target);
  };
  for (const v of options.volumes ?? []) {
    const target = containerPath(v.target, 'volume target');
    claim(target);
    if (!isAbsolute(v.source)) {
      throw planError(`volume source ${JSON.stringify(v.source)} must be absolute`, v.source);
    }
    const source = resolve(v.source);
    const create = sourceKind(probe, source, 'volume source');
    user.push({ op: 'bind', source, target, recursive: true, readonly: v.readonly, create });
  }
  for (const t of options.tmpfs ?? []) {
    const target = containerPath(t.target, 'tmpfs target');
    claim(target);
    const opts: Record<string, string | true> = { mode: (t.mode ?? 0o1777).toString(8) };
    if (t.size !== undefined) opts.size = t.size;
    user.push({
      op: 'mount',
      fstype: 'tmpfs',
      source: 'tmpfs',
      target,
      readonly: t.readonly ?? false,
      attrs: ['nosuid', 'nodev'],
      options: opts,
    });
  }
  // Parents before children, otherwise the parent mount would hide the child. Stable.
  user.sort((a, b) => pathDepth(targetOf(a)) - pathDepth(targetOf(b)));

  const ops: MountOp[] = [
    {
      op: 'propagation',
      hostPath: '/',
      propagation: options.propagation ?? 'slave',
      recursive: true,
    },
    { op: 'bindRoot', source: root },
    {
      op: 'mount',
      fstype: 'proc',
      source: 'proc',
      target: '/proc',
      readonly: false,
      attrs: [...NOSUID_NODEV_NOEXEC],
      options: {},
    },
    {
      op: 'mount',
      fstype: 'tmpfs',
      source: 'tmpfs',
      target: '/dev',
      readonly: false,
      attrs: ['nosuid', 'strictatime'],
      options: { mode: '755', size: '65536k' },
    },
    {
      op: 'mount',
      fstype: 'devpts',
      source: 'devpts',
      target: '/dev/pts',
      readonly: false,
      attrs: ['nosuid', 'noexec'],
      options: {
        newinstance: true,
        ptmxmode: '0666',
        mode: '0620',
        ...(options.devptsGid !== undefined ? { gid: String(options.devptsGid) } : {}),
      },
    },
  ];
  const defaults: MountOp[] = [
    {
      op: 'mount',
      fstype: 'tmpfs',
      source: 'shm',
      target: '/dev/shm',
      readonly: false,
      attrs: [...NOSUID_NODEV_NOEXEC],
      options: { mode: '1777', size: '65536k' },
    },
  ];
  if (options.ipcns) {
    defaults.push({
      op: 'mount',
      fstype: 'mqueue',
      source: 'mqueue',
      target: '/dev/mqueue',
      readonly: false,
      attrs: [...NOSUID_NODEV_NOEXEC],
      options: {},
    });
  }
  for (const dev of DEFAULT_DEVICES) {
    defaults.push({
      op: 'bind',
      source: dev,
      target: dev,
      recursive: false,
      readonly: false,
      create: 'file',
    });
  }
  for (const [target, linkTo] of DEFAULT_DEV_SYMLINKS)
    defaults.push({ op: 'symlink', target, linkTo });
  if (options.netns) {
    defaults.push({
      op: 'mount',
      fstype: 'sysfs',
      source: 'sysfs',
      target: '/sys',
      readonly: true,
      attrs: [...NOSUID_NODEV_NOEXEC],
      options: {},
    });
  } else {
    // sysfs can only be mounted by the owner of the network namespace: without a new one, the
    // host's /sys is bound read-only.
    defaults.push({
      op: 'bind',
      source: '/sys',
      target: '/sys',
      recursive: true,
      readonly: true,
      create: 'dir',
    });
  }
  const etc = [
    etcFile('/etc/resolv.conf', options.resolvConf ?? 'host', probe),
    etcFile(
      '/etc/hosts',
      options.hosts ?? (options.netns ? { content: generatedHosts(options.hostname) } : 'host'),
      probe,
    ),
    options.hostname !== undefined
      ? etcFile('/etc/hostname', { content: `${options.hostname}\n` }, probe)
      : undefined,
  ];
  for (const op of etc) if (op) defaults.push(op);
  // A user mount on the same target replaces a default one (-v ./my-resolv.conf:/etc/resolv.conf).
  ops.push(...defaults.filter((op) => !seen.has(targetOf(op))));
  ops.push(...user);

  for (const p of options.maskedPaths ?? DEFAULT_MASKED_PATHS) {
    ops.push({ op: 'mask', target: containerPath(p, 'masked path') });
  }
  for (const p of options.readonlyPaths ?? DEFAULT_READONLY_PATHS) {
    ops.push({
      op: 'remountReadonly',
      target: containerPath(p, 'read-only path'),
      recursive: true,
      ifExists: true,
    });
  }
  const workdir = containerPath(options.workdir ?? '/', 'working directory');
  if (workdir !== '/') ops.push({ op: 'mkdir', target: workdir, mode: 0o755 });
  if (options.readonlyRoot) {
    // Only the root mount: volumes, /dev and tmpfs keep their own mode (podman --read-only).
    ops.push({ op: 'remountReadonly', target: '/', recursive: false, ifExists: false });
  }
  ops.push({ op: 'pivotRoot' }, { op: 'chdir', target: workdir });
  return ops;
}

/** The container path an op works on ('' for ops without one). */
export function targetOf(op: MountOp): string {
  return 'target' in op ? op.target : '';
}
