/**
 * The holder of an in-process spawn (here.ts, prepared.ts): a process in the new user (and
 * network) namespace that the id maps, the network's helper and the container's clone are set up
 * on.
 */
import { existsSync } from 'node:fs';
import { clone as CL, fcntl as F, signal } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { collectYoung, stackTop } from './launch-support.js';

/** Where `sleep` is (coreutils): what the holder runs. */
const SLEEP_PATHS = ['/usr/bin/sleep', '/bin/sleep'];

/**
 * The holder: a process in a new user namespace (and network namespace) that does nothing until
 * it is killed, and never changes its ids, so that its /proc/PID/ns entries stay ours to open.
 * It must die with this process (PR_SET_PDEATHSIG, set before any of its code runs, which
 * survives the exec of a program that is not setuid) and hold none of our descriptors: a copy
 * of the caller's stdout, say, would keep whoever reads it waiting after this process was
 * killed. So it is a clone child that sets both up and executes `sleep infinity` (no
 * JavaScript runs after the exec).
 */
export function startHolder(withNet: boolean): number {
  const sleep = SLEEP_PATHS.find((p) => existsSync(p));
  if (!sleep)
    throw new Error(`no sleep program (${SLEEP_PATHS.join(', ')}) to hold the namespaces`);
  const devNull = libc.open('/dev/null', F.O_RDWR | F.O_CLOEXEC);
  // Its few lines of JavaScript run on this heap too: no collection may start there (one did,
  // and aborted the process in a koffi call: "open_handle_scopes" assertion).
  collectYoung();
  const parent = process.pid;
  try {
    return libc.cloneThenExec(
      (child) => {
        // The death signal is set before this runs (deathSignal); this process may have died
        // before even that: then it will never come (no pid namespace here: getppid() tells).
        if (libc.getppid() !== parent) return 1;
        for (const fd of [0, 1, 2]) libc.dup3(devNull, fd, 0);
        libc.closeRange(3);
        return child.prepareExec(sleep, ['sleep', 'infinity'], []);
      },
      CL.CLONE_VM |
        CL.CLONE_VFORK |
        CL.CLONE_NEWUSER |
        (withNet ? CL.CLONE_NEWNET : 0) |
        signal.SIGCHLD,
      { stackTop: stackTop(), deathSignal: signal.SIGKILL },
    );
  } finally {
    libc.close(devNull);
  }
}
