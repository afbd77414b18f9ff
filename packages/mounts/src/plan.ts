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
  BindOp,
  BindRootOp,
  EtcFileSource,
  HostFilesOptions,
  HostProbe,
  InsideMount,
  MountAttr,
  MountFsOp,
  MountOp,
  OverlayRootOp,
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

/** A host directory the plan needs: absolute, existing, a directory. */
function hostDir(path: string, what: string, probe: HostProbe): string {
  if (!isAbsolute(path)) {
    throw planError(`${what} ${JSON.stringify(path)} must be an absolute path`, path);
  }
  const dir = resolve(path);
  const kind = probe.kind(dir);
  if (kind === 'missing') throw planError(`${what} ${dir} does not exist`, dir, 'ENOENT');
  if (kind !== 'dir') throw planError(`${what} ${dir} is not a directory`, dir, 'ENOTDIR');
  return dir;
}

/** The op making the root: a bind of a directory onto itself, or an overlay. */
function planRoot(root: RootfsOptions['root'], probe: HostProbe): BindRootOp | OverlayRootOp {
  if (typeof root === 'string') return { op: 'bindRoot', source: hostDir(root, 'root', probe) };
  const { lowerdirs, upperdir, workdir } = root.overlay;
  if (lowerdirs.length === 0) throw planError('overlay root: no lowerdirs', '');
  const upper = hostDir(upperdir, 'overlay upperdir', probe);
  const work = hostDir(workdir, 'overlay workdir', probe);
  if (upper === work) throw planError('overlay upperdir and workdir must differ', upper);
  return {
    op: 'overlayRoot',
    lowerdirs: lowerdirs.map((l) => hostDir(l, 'overlay lowerdir', probe)),
    upperdir: upper,
    workdir: work,
  };
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
  const rootOp = planRoot(options.root, probe);
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
    rootOp,
    procOp('/proc'),
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
      inside: { masks: [], readonly: [] },
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
      inside: { masks: [], readonly: [] },
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

  routeMasks(ops, options);
  const workdir = containerPath(options.workdir ?? '/', 'working directory');
  if (workdir !== '/') ops.push({ op: 'mkdir', target: workdir, mode: 0o755 });
  if (options.readonlyRoot) {
    // Only the root mount: volumes, /dev and tmpfs keep their own mode (podman --read-only).
    ops.push({ op: 'remountReadonly', target: '/', recursive: false, ifExists: false });
  }
  ops.push({ op: 'pivotRoot' }, { op: 'chdir', target: workdir });
  return ops;
}

/** A proc of the container's pid namespace on target (its masks are added by routeMasks). */
function procOp(target: string): MountFsOp {
  return {
    op: 'mount',
    fstype: 'proc',
    source: 'proc',
    target,
    readonly: false,
    attrs: [...NOSUID_NODEV_NOEXEC],
    options: {},
    // Always: its target is then a real directory of the root, never a symlink swapped in.
    inside: { masks: [], readonly: [] },
  };
}

/**
 * Adds the masks and read-only paths to a plan. Those below a mount the plan makes (proc, sys,
 * a volume, a tmpfs) are applied to that mount before it is attached, found from its
 * descriptor: an image that swaps its /proc for a symlink while the container starts cannot
 * make them land elsewhere. Others (paths of the image itself) become ops of their own, after
 * the user mounts, so a volume cannot uncover them. `extraProcs`: more proc mounts, masked as
 * /proc is (the defaults below /proc, relative to each).
 */
function routeMasks(
  ops: MountOp[],
  options: { maskedPaths?: string[]; readonlyPaths?: string[] },
  extraProcs: readonly MountFsOp[] = [],
): void {
  const masks = (options.maskedPaths ?? DEFAULT_MASKED_PATHS).map((p) =>
    containerPath(p, 'masked path'),
  );
  const readonly = (options.readonlyPaths ?? DEFAULT_READONLY_PATHS).map((p) =>
    containerPath(p, 'read-only path'),
  );
  for (const target of masks) {
    const owner = mountBelow(ops, target);
    if (owner) insideOf(owner.op).masks.push(owner.rel);
    else ops.push({ op: 'mask', target });
    if (target.startsWith('/proc/')) {
      for (const p of extraProcs) insideOf(p).masks.push(target.slice('/proc/'.length));
    }
  }
  for (const target of readonly) {
    const owner = mountBelow(ops, target);
    if (owner) insideOf(owner.op).readonly.push(owner.rel);
    else ops.push({ op: 'remountReadonly', target, recursive: true, ifExists: true });
    if (target.startsWith('/proc/')) {
      for (const p of extraProcs) insideOf(p).readonly.push(target.slice('/proc/'.length));
    }
  }
}

/**
 * The plan for a container that keeps the host's files (no root filesystem of its own, no
 * pivot_root): a proc of its pid namespace on /proc, masked, optionally more (a chroot's), a
 * devpts for a terminal, and volumes onto host paths. Its masks, like every mount made here,
 * are locked by the kernel once the program runs in a nested user and mount namespace.
 */
export function planHostFiles(
  options: HostFilesOptions = {},
  probe: HostProbe = hostProbe,
): MountOp[] {
  const ops: MountOp[] = [
    {
      op: 'propagation',
      hostPath: '/',
      propagation: options.propagation ?? 'slave',
      recursive: true,
    },
    { op: 'hostRoot' },
    procOp('/proc'),
  ];
  if (options.devpts) {
    ops.push({
      op: 'mount',
      fstype: 'devpts',
      source: 'devpts',
      target: '/dev/pts',
      readonly: false,
      attrs: ['nosuid', 'noexec'],
      options: { newinstance: true, ptmxmode: '0666', mode: '0620' },
    });
  }
  const seen = new Set<string>(['/proc']);
  const extra: MountFsOp[] = [];
  for (const p of options.procMounts ?? []) {
    const target = containerPath(p, 'proc mount');
    if (seen.has(target)) throw planError(`two mounts target ${target}`, target);
    seen.add(target);
    extra.push(procOp(target));
  }
  const volumes: MountOp[] = [];
  for (const v of options.volumes ?? []) {
    const target = containerPath(v.target, 'volume target');
    if (target === '/' || seen.has(target)) throw planError(`two mounts target ${target}`, target);
    seen.add(target);
    const source = hostDirOrFile(v.source, probe);
    volumes.push({
      op: 'bind',
      source: source.path,
      target,
      recursive: true,
      readonly: v.readonly,
      create: source.kind,
    });
  }
  // The extra procs first (a volume may go inside a chroot), parents before children.
  const user = [...extra, ...volumes].sort(
    (a, b) => pathDepth(targetOf(a)) - pathDepth(targetOf(b)),
  );
  ops.push(...user);
  // Masks for the host's own paths (/sys/firmware…) are ops of their own: the host's paths are
  // trusted. The extra procs take /proc's.
  routeMasks(ops, options, extra);
  return ops;
}

function hostDirOrFile(path: string, probe: HostProbe): { path: string; kind: TargetKind } {
  if (!isAbsolute(path)) {
    throw planError(`volume source ${JSON.stringify(path)} must be absolute`, path);
  }
  const abs = resolve(path);
  return { path: abs, kind: sourceKind(probe, abs, 'volume source') };
}

/**
 * The mount op (a new filesystem or a directory bind) with the deepest target strictly above
 * `path`, and `path` relative to that target: where a mask of `path` belongs.
 */
function mountBelow(
  ops: readonly MountOp[],
  path: string,
): { op: MountFsOp | BindOp; rel: string } | undefined {
  let best: { op: MountFsOp | BindOp; rel: string } | undefined;
  for (const op of ops) {
    if (op.op !== 'mount' && !(op.op === 'bind' && op.create === 'dir')) continue;
    const prefix = op.target === '/' ? '/' : `${op.target}/`;
    if (!path.startsWith(prefix)) continue;
    // Equal depth: the later op, mounted on top, is the one seen.
    if (best && pathDepth(best.op.target) > pathDepth(op.target)) continue;
    best = { op, rel: path.slice(prefix.length) };
  }
  return best;
}

function insideOf(op: MountFsOp | BindOp): InsideMount {
  op.inside ??= { masks: [], readonly: [] };
  return op.inside;
}

/** The container path an op works on ('' for ops without one). */
export function targetOf(op: MountOp): string {
  return 'target' in op ? op.target : '';
}
