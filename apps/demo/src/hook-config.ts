import type { MountOp } from '@rootless-ts/mounts';

/**
 * What the setup hook (hook.ts) does in the container's first process, before exec: plain JSON
 * data made by the planner in the parent, handed over as the hook's config.
 */
export interface HookConfig {
  /**
   * Directories to give the owner and mode of another before anything is mounted: an image's
   * writable layer, made by the invoking user, owned like the top layer's root (a subordinate
   * id, which only root of the user namespace can chown to), as overlay shows it on `/`.
   */
  ownLike?: Array<{ path: string; like: string }>;
  /**
   * The whole mount plan. With --root: root bind, /proc, /dev, /sys, /etc files, volumes,
   * pivot_root. Without: the host's files, but a masked /proc of the container's own (and a
   * devpts with -t).
   */
  mounts?: MountOp[];
  /** -t: a pty from the container's devpts, its slave as 0-2, the master sent to the parent. */
  tty?: {
    /** The slave's owner: the command's final credentials. */
    uid: number;
    gid: number;
    /** The host terminal's size, when it has one. */
    rows?: number;
    cols?: number;
  };
  /** `rootless caps`: print the capabilities before exec, with this label. */
  printCaps?: string;
}
