/**
 * The setup hook of `rootless run`: the launcher imports this module by path, and calls `setup`
 * synchronously in the container's first process (PID 1 of the new pid namespace, root of the
 * new user namespace), after the id mapping and before exec. It must stay synchronous: the
 * launcher's event loop is frozen while it runs. It only applies what the planner decided
 * (hook-config.ts): the mount plan, the terminal.
 */
import { chmodSync, fchownSync, lchownSync, lstatSync, writeSync } from 'node:fs';
import { formatCaps, getCaps } from '@rootless-ts/capabilities';
import { fcntl as F, ioctl as IO } from '@rootless-ts/constants';
import { close, dup3, ioctl, open } from '@rootless-ts/libc';
import { applyPlan } from '@rootless-ts/mounts';
import type { SetupContext, Undo } from '@rootless-ts/namespaces';
import type { HookConfig } from './hook-config.js';

export function setup(ctx: SetupContext): Undo | undefined {
  const cfg = ctx.config as HookConfig;
  // Before the overlay is mounted: its root takes the upper directory's owner and mode then.
  for (const o of cfg.ownLike ?? []) ownLike(o.path, o.like);
  if (cfg.printCaps !== undefined) {
    writeSync(1, `${cfg.printCaps}${formatCaps(getCaps())}\n`);
  }
  if (cfg.mounts) {
    const applied = applyPlan(cfg.mounts);
    // What fails from here on (the terminal here; the user's working directory or the program
    // in the steps after the hooks) would leave the mount points the plan created in the image,
    // owned by root inside: the user could not even delete them. The undo puts them back.
    try {
      if (cfg.tty) openTerminal(ctx, cfg.tty);
    } catch (e) {
      applied.undo();
      throw e;
    }
    return () => applied.undo();
  }
  if (cfg.tty) openTerminal(ctx, cfg.tty);
  return undefined;
}

/**
 * Gives `path` the owner and mode of `like`. Root of the container's user namespace may: both
 * belong to ids mapped there (the invoking user's, and the top layer's root, a subordinate id).
 * Ids are read and set through the same mapping, so the host ids match whatever the mapping.
 */
function ownLike(path: string, like: string): void {
  const st = lstatSync(like);
  lchownSync(path, st.uid, st.gid);
  chmodSync(path, st.mode & 0o7777);
}

/**
 * A pty of the container's own devpts: open its ptmx, unlock it, open the peer (TIOCGPTPEER:
 * no path lookup), give it to the command's final user, make it 0-2 (the launcher then makes it
 * the controlling terminal after setsid), and send the master to the parent.
 */
function openTerminal(ctx: SetupContext, tty: NonNullable<HookConfig['tty']>): void {
  // /dev/ptmx is a symlink to pts/ptmx in the mount plan; without --root, the new instance's.
  const master = open('/dev/pts/ptmx', F.O_RDWR | F.O_NOCTTY | F.O_CLOEXEC);
  try {
    ioctl(master, IO.TIOCSPTLCK, new Uint8Array(4)); // unlockpt
    if (tty.rows && tty.cols) {
      const ws = new Uint8Array(8);
      const v = new DataView(ws.buffer);
      v.setUint16(0, tty.rows, true);
      v.setUint16(2, tty.cols, true);
      ioctl(master, IO.TIOCSWINSZ, ws);
    }
    const slave = ioctl(master, IO.TIOCGPTPEER, F.O_RDWR | F.O_NOCTTY | F.O_CLOEXEC);
    try {
      fchownSync(slave, tty.uid, tty.gid);
      for (const fd of [0, 1, 2]) dup3(slave, fd, 0);
    } finally {
      close(slave);
    }
    ctx.sendFd(master);
  } finally {
    close(master);
  }
}
