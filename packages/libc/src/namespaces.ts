import { check, fn } from './library.js';

/**
 * `unshare(2)`. In a Node process CLONE_NEWUSER (and CLONE_NEWNS) fail with EINVAL, because Node
 * always runs several threads (even `--single-threaded` has four): create user namespaces with `clone()` in a launcher.
 */
export function unshare(flags: number): void {
  check(fn('int unshare(int flags)')(flags), 'unshare');
}

/** `setns(2)`: nstype is 0 or a CLONE_NEW* flag that the fd must match. */
export function setns(fd: number, nstype = 0): void {
  check(fn('int setns(int fd, int nstype)')(fd, nstype), 'setns');
}

/** `sethostname(2)` (needs CAP_SYS_ADMIN in the UTS namespace's user namespace). */
export function sethostname(name: string): void {
  const buf = Buffer.from(name);
  check(fn('int sethostname(const void *name, size_t len)')(buf, buf.length), 'sethostname', name);
}

/** `setdomainname(2)`. */
export function setdomainname(name: string): void {
  const buf = Buffer.from(name);
  check(
    fn('int setdomainname(const void *name, size_t len)')(buf, buf.length),
    'setdomainname',
    name,
  );
}
