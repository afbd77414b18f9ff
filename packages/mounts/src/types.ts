/**
 * The plan: plain data describing how to turn a directory into a container's root. Paths named
 * `source` (and `hostPath`) are host paths; paths named `target` are container paths, always
 * absolute and always resolved inside the root (never through a symlink out of it).
 */

/** Per-mount attributes other than read-only (which ops carry as `readonly`). */
export type MountAttr = 'nosuid' | 'nodev' | 'noexec' | 'noatime' | 'nodiratime' | 'strictatime';

/** Mount propagation, as in mount(8)'s --make-* options. */
export type Propagation = 'private' | 'slave' | 'shared' | 'unbindable';

/** Filesystems the plan creates (all mountable by root of a user namespace). */
export type FsType = 'proc' | 'tmpfs' | 'devpts' | 'mqueue' | 'sysfs';

/** What to create when a target is missing: it must match the mounted thing. */
export type TargetKind = 'file' | 'dir';

/** Sets propagation of a host mount tree in the new mount namespace (first op of a plan). */
export interface PropagationOp {
  op: 'propagation';
  hostPath: string;
  propagation: Propagation;
  recursive: boolean;
}

/**
 * Keeps the host's `/` as the container's root (no pivot_root): the ops after it resolve their
 * targets from the host's `/` (trusted paths). For a container that sees the host's files.
 */
export interface HostRootOp {
  op: 'hostRoot';
}

/**
 * Bind-mounts the root directory onto itself (recursively): pivot_root needs a mount point,
 * and the ops after it resolve their targets inside this mount.
 */
export interface BindRootOp {
  op: 'bindRoot';
  source: string;
}

/** Masks and read-only paths applied to a mount before it is attached (paths relative to it). */
export interface InsideMount {
  masks: string[];
  readonly: string[];
}

/**
 * Mounts an overlay filesystem as the root (rootless: `userxattr`, Linux >= 5.11, inside the
 * container's user and mount namespaces), over `upperdir` in this mount namespace only: the
 * ops after it resolve their targets inside the merged view, and writes land in upperdir.
 */
export interface OverlayRootOp {
  op: 'overlayRoot';
  /** Host directories, the topmost layer first (overlayfs' lowerdir order). */
  lowerdirs: string[];
  /** Host directory receiving every change; the merged view is attached over it. */
  upperdir: string;
  /** Host directory for overlayfs' own use: empty, on the same filesystem as upperdir. */
  workdir: string;
}

/** Bind-mounts a host file or directory onto a target inside the root. */
export interface BindOp {
  op: 'bind';
  source: string;
  target: string;
  recursive: boolean;
  readonly: boolean;
  /** Created inside the root when missing. */
  create: TargetKind;
  /**
   * Paths below the new mount, relative to its root ('keys', 'devices/virtual/powercap'), to
   * mask (as MaskOp does) and to make read-only (as RemountReadonlyOp does), applied to the
   * mount itself, looked up from its descriptor without following any symlink, before it is
   * attached. An op with either list has its target resolved without following any symlink:
   * the masks land on the mount that was made, whatever an image does with its paths meanwhile.
   */
  inside?: InsideMount;
}

/** Mounts a new filesystem instance (procfs, tmpfs, devpts, mqueue, sysfs) onto a directory. */
export interface MountFsOp {
  op: 'mount';
  fstype: FsType;
  /** The "device" name shown in mountinfo. */
  source: string;
  target: string;
  readonly: boolean;
  attrs: MountAttr[];
  /** Filesystem options (fsconfig keys / mount(2) data): `{ mode: '755', newinstance: true }`. */
  options: Record<string, string | true>;
  /**
   * Paths below the new mount, relative to its root ('keys', 'devices/virtual/powercap'), to
   * mask (as MaskOp does) and to make read-only (as RemountReadonlyOp does), applied to the
   * mount itself, looked up from its descriptor without following any symlink, before it is
   * attached. An op with either list has its target resolved without following any symlink:
   * the masks land on the mount that was made, whatever an image does with its paths meanwhile.
   */
  inside?: InsideMount;
}

/** Creates a directory inside the root (and its parents); existing directories are kept. */
export interface MkdirOp {
  op: 'mkdir';
  target: string;
  mode: number;
}

/** Creates a symlink inside the root; an identical existing one is kept. */
export interface SymlinkOp {
  op: 'symlink';
  target: string;
  linkTo: string;
}

/**
 * Places a file with the given content at target, without writing into the root filesystem:
 * the content lives in a private tmpfs and is bind-mounted (bubblewrap's --ro-bind-data).
 */
export interface FileOp {
  op: 'file';
  target: string;
  content: string;
  mode: number;
  readonly: boolean;
}

/** Hides a path: /dev/null over a file, an empty read-only tmpfs over a directory; absent paths are skipped. */
export interface MaskOp {
  op: 'mask';
  target: string;
}

/**
 * Makes a path read-only: its mount, or a bind of it onto itself when it is not a mount point.
 * Only the read-only attribute changes; the flags the kernel locks stay as they are.
 */
export interface RemountReadonlyOp {
  op: 'remountReadonly';
  target: string;
  recursive: boolean;
  /** Skip silently when the target does not exist (runc's readonly paths). */
  ifExists: boolean;
}

/** pivot_root into the root and detach the old root: the host's files become unreachable. */
export interface PivotRootOp {
  op: 'pivotRoot';
}

/** Changes directory (a container path, after pivotRoot). */
export interface ChdirOp {
  op: 'chdir';
  target: string;
}

export type MountOp =
  | PropagationOp
  | BindRootOp
  | HostRootOp
  | OverlayRootOp
  | BindOp
  | MountFsOp
  | MkdirOp
  | SymlinkOp
  | FileOp
  | MaskOp
  | RemountReadonlyOp
  | PivotRootOp
  | ChdirOp;

/** A volume: a host file or directory bind-mounted into the container. */
export interface Volume {
  /** Absolute host path. */
  source: string;
  /** Absolute container path. */
  target: string;
  readonly: boolean;
}

/** A tmpfs mounted inside the container. */
export interface TmpfsMount {
  target: string;
  /** tmpfs size option, e.g. '64m' (default: the kernel's, half of RAM). */
  size?: string;
  /** Octal mode of its root (default 1777, like podman's --tmpfs). */
  mode?: number;
  readonly?: boolean;
}

/** How a file under /etc is provided: the host's (bind, read-only), generated content, or left alone. */
export type EtcFileSource = 'host' | 'none' | { content: string };

/** An overlay root: read-only layers, and a directory that receives the changes. */
export interface OverlayRoot {
  overlay: {
    /** Host directories, the topmost layer first. */
    lowerdirs: string[];
    upperdir: string;
    /** Empty directory on the same filesystem as upperdir. */
    workdir: string;
  };
}

export interface RootfsOptions {
  /** Host path of the root filesystem directory, or the layers of an overlay root. */
  root: string | OverlayRoot;
  /** Make the root mount read-only (after every mount point is created). Default false. */
  readonlyRoot?: boolean;
  /** Hostname: generates /etc/hostname and an /etc/hosts entry. */
  hostname?: string;
  /** The container has its own network namespace: sysfs instead of the host's /sys, generated /etc/hosts. */
  netns?: boolean;
  /** The container has its own IPC namespace: /dev/mqueue. */
  ipcns?: boolean;
  volumes?: Volume[];
  tmpfs?: TmpfsMount[];
  /** Replaces the default masked paths (DEFAULT_MASKED_PATHS). */
  maskedPaths?: string[];
  /** Replaces the default read-only paths (DEFAULT_READONLY_PATHS). */
  readonlyPaths?: string[];
  /** Default 'host'. */
  resolvConf?: EtcFileSource;
  /** Default: generated with a network namespace, the host's without. */
  hosts?: EtcFileSource;
  /** Group owning new ptys (devpts gid=); only if mapped in the user namespace (5, tty, usually). */
  devptsGid?: number;
  /** Propagation of the container's mounts. Default 'slave' (host unmounts reach in, nothing leaks out). */
  propagation?: 'slave' | 'private';
  /** Final working directory (container path). Default '/'. */
  workdir?: string;
}

/** A container that keeps the host's files (planHostFiles): what is mounted over them. */
export interface HostFilesOptions {
  /**
   * Where to mount a proc of the container's pid namespace, masked like /proc, besides /proc
   * itself: e.g. a chroot's /proc for debootstrap, which then finds it populated and mounts
   * none (it could not, once the mounts are locked). Host paths without symlinks.
   */
  procMounts?: string[];
  /** A devpts instance of the container's own on /dev/pts (for a terminal). Default false. */
  devpts?: boolean;
  /** Host files or directories bound onto host paths (e.g. device nodes into a chroot's /dev). */
  volumes?: Volume[];
  /** Replaces the default masked paths (DEFAULT_MASKED_PATHS). */
  maskedPaths?: string[];
  /** Replaces the default read-only paths (DEFAULT_READONLY_PATHS). */
  readonlyPaths?: string[];
  /** Default 'slave'. */
  propagation?: 'slave' | 'private';
}

/** What the planner needs to know about host paths; injectable so plans stay pure in tests. */
export interface HostProbe {
  kind(path: string): 'file' | 'dir' | 'other' | 'missing';
}
