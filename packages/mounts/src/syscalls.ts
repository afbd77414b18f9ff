import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import {
  chdir,
  close,
  fchdir,
  fsconfig,
  fsmount,
  fsopen,
  type MountAttr,
  mount,
  mountSetattr,
  moveMount,
  type OpenHow,
  open,
  openat,
  openat2,
  openTree,
  pivotRoot,
  read,
  readlink,
  umount2,
  write,
} from '@rootless-ts/libc';
import { F } from './sys.js';

/**
 * Every system call applyPlan makes, behind one object, so that a recording fake can stand in
 * for the kernel in unit tests (the order of calls, what a failure undoes) while the real one
 * goes straight to @rootless-ts/libc and node:fs. Methods take and return what the calls do:
 * descriptors are numbers, failures are thrown errors carrying an errno `code`.
 *
 * The path-based file calls (mkdir, createFile, symlink, readlink, lstat, rmdir, unlink) are only
 * ever given `/proc/self/fd/N/name` paths, where the kernel resolves `/proc/self/fd/N` to an
 * opened directory: they never look a path up from the host's `/`.
 */
export interface MountSyscalls {
  open(path: string, flags: number): number;
  openat(dirfd: number, path: string, flags: number, mode: number): number;
  openat2(dirfd: number, path: string, how: OpenHow): number;
  close(fd: number): void;
  read(fd: number, buf: Uint8Array): number;
  write(fd: number, data: Uint8Array): number;
  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data: string | null,
  ): void;
  umount2(target: string, flags: number): void;
  openTree(dirfd: number, path: string, flags: number): number;
  moveMount(
    fromDirfd: number,
    fromPath: string,
    toDirfd: number,
    toPath: string,
    flags: number,
  ): void;
  mountSetattr(dirfd: number, path: string, flags: number, attr: MountAttr): void;
  fsopen(fsname: string, flags: number): number;
  fsconfig(fd: number, cmd: number, key?: string | null, value?: string | null): void;
  fsmount(fsfd: number, flags: number, attrFlags: number): number;
  pivotRoot(newRoot: string, putOld: string): void;
  chdir(path: string): void;
  fchdir(fd: number): void;
  /** mkdir(2) (fails with EEXIST on anything in the way, never follows a symlink there). */
  mkdir(path: string, mode: number): void;
  /** A new empty file: open(O_CREAT | O_EXCL | O_NOFOLLOW), closed at once. */
  createFile(path: string, mode: number): void;
  symlink(linkTo: string, path: string): void;
  readlink(path: string): string;
  /** Identity of the entry itself (not followed). */
  lstat(path: string): { dev: number; ino: number };
  /** Whether the descriptor is a directory (fstat). */
  isDirectory(fd: number): boolean;
  rmdir(path: string): void;
  unlink(path: string): void;
}

/** The kernel: @rootless-ts/libc for the mount API and descriptors, node:fs for plain files. */
export const realSyscalls: MountSyscalls = {
  open: (path, flags) => open(path, flags),
  openat: (dirfd, path, flags, mode) => openat(dirfd, path, flags, mode),
  openat2: (dirfd, path, how) => openat2(dirfd, path, how),
  close: (fd) => close(fd),
  read: (fd, buf) => read(fd, buf),
  write: (fd, data) => write(fd, data),
  mount: (source, target, fstype, flags, data) => mount(source, target, fstype, flags, data),
  umount2: (target, flags) => umount2(target, flags),
  openTree: (dirfd, path, flags) => openTree(dirfd, path, flags),
  moveMount: (fromDirfd, fromPath, toDirfd, toPath, flags) =>
    moveMount(fromDirfd, fromPath, toDirfd, toPath, flags),
  mountSetattr: (dirfd, path, flags, attr) => mountSetattr(dirfd, path, flags, attr),
  fsopen: (fsname, flags) => fsopen(fsname, flags),
  fsconfig: (fd, cmd, key = null, value = null) => fsconfig(fd, cmd, key, value),
  fsmount: (fsfd, flags, attrFlags) => fsmount(fsfd, flags, attrFlags),
  pivotRoot: (newRoot, putOld) => pivotRoot(newRoot, putOld),
  chdir: (path) => chdir(path),
  fchdir: (fd) => fchdir(fd),
  mkdir: (path, mode) => mkdirSync(path, { mode }),
  createFile: (path, mode) =>
    closeSync(openSync(path, F.O_CREAT | F.O_EXCL | F.O_WRONLY | F.O_NOFOLLOW | F.O_CLOEXEC, mode)),
  symlink: (linkTo, path) => symlinkSync(linkTo, path),
  readlink: (path) => readlink(path),
  lstat: (path) => {
    const st = lstatSync(path);
    return { dev: st.dev, ino: st.ino };
  },
  isDirectory: (fd) => fstatSync(fd).isDirectory(),
  rmdir: (path) => rmdirSync(path),
  unlink: (path) => unlinkSync(path),
};
