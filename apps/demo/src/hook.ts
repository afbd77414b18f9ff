/**
 * The setup hook of `rootless run`: the launcher imports this module by path, and calls `setup`
 * synchronously in the container's first process (PID 1 of the new pid namespace, root of the
 * new user namespace), after the id mapping and before exec. It must stay synchronous: the
 * launcher's event loop is frozen while it runs. It only applies what the planner decided
 * (hook-config.ts): the mount plan, the container's own /proc, the terminal.
 */
import { fchownSync, statSync, writeSync } from 'node:fs';
import { formatCaps, getCaps } from '@rootless-ts/capabilities';
import { fcntl as F, ioctl as IO, mount as M } from '@rootless-ts/constants';
import { close, dup3, ioctl, mount, open } from '@rootless-ts/libc';
import { applyPlan } from '@rootless-ts/mounts';
import type { SetupContext } from '@rootless-ts/namespaces';
import { STANDARD_PATH } from './env.js';
import type { HookConfig } from './hook-config.js';

export function setup(ctx: SetupContext): void {
  const cfg = ctx.config as HookConfig;
  if (cfg.printCaps !== undefined) {
    writeSync(1, `${cfg.printCaps}${formatCaps(getCaps())}\n`);
  }
  if (cfg.mounts) {
    const applied = applyPlan(cfg.mounts);
    // What fails from here on would leave the mount points the plan created in the image (owned
    // by root inside: the user could not even delete them). Fail while they can still be undone.
    try {
      checkProgram(ctx.argv, ctx.env);
      if (cfg.tty) openTerminal(ctx, cfg.tty);
    } catch (e) {
      applied.undo();
      throw e;
    }
    return;
  }
  if (cfg.ownProc) ownProc(cfg.tty !== undefined);
  if (cfg.tty) openTerminal(ctx, cfg.tty);
}

/**
 * In the new root, before the command is looked up for exec: a command that is certainly not
 * there (127) or certainly not executable (126: no execute bit, or not a regular file) fails
 * now, as the exec step would, so that the caller can undo the mounts first. Searches PATH as
 * the exec does; anything it cannot judge (relative paths, other errors) is left to the exec.
 */
function checkProgram(argv: readonly string[], env: readonly string[]): void {
  const file = argv[0];
  if (file === undefined || file === '') return;
  const search = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? STANDARD_PATH;
  const candidates = file.includes('/')
    ? [file]
    : search.split(':').map((d) => `${d === '' ? '.' : d}/${file}`);
  if (candidates.some((c) => !c.startsWith('/'))) return;
  let denied = false;
  for (const c of candidates) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(c);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      return; // Cannot tell: the exec will.
    }
    if (st.isFile() && (st.mode & 0o111) !== 0) return;
    // A PATH search skips what is not a file; a path given with '/' is executed as it is.
    if (st.isFile() || file.includes('/')) denied = true;
  }
  const code = denied ? 'EACCES' : 'ENOENT';
  throw Object.assign(new Error(`execve ${file}: ${code}`), {
    step: 'exec',
    code,
    errno: denied ? 13 : 2,
    syscall: 'execve',
    path: file,
  });
}

/**
 * Keeps the host's files but mounts a procfs of the container's pid namespace on /proc (so `ps`
 * shows only the container), after making every mount a slave: nothing leaks to the host. With
 * a terminal, a devpts instance of the container's own on /dev/pts too.
 */
function ownProc(pts: boolean): void {
  mount(null, '/', null, M.MS_REC | M.MS_SLAVE, null);
  mount('proc', '/proc', 'proc', M.MS_NOSUID | M.MS_NODEV | M.MS_NOEXEC, null);
  if (pts) {
    mount(
      'devpts',
      '/dev/pts',
      'devpts',
      M.MS_NOSUID | M.MS_NOEXEC,
      'newinstance,ptmxmode=0666,mode=0620',
    );
  }
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
