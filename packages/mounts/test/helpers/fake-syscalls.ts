import { errno as E, fcntl as F } from '@rootless-ts/constants';
import { errnoError } from '@rootless-ts/libc';
import type { MountSyscalls } from '../../src/index.js';

/**
 * A recording fake of the system calls applyPlan makes (youki's syscall test double, for
 * mounts): a tiny in-memory file tree, descriptors named by what they refer to, and a log of
 * every call with those names instead of numbers, e.g.
 * `move_mount proc -> /rootfs/proc` or `mkdir /rootfs/etc/hostname`.
 *
 * Paths in the tree are host paths ('/rootfs/proc'); a detached mount is named by what made it
 * ('proc', 'tmpfs', 'clone /sys'), and entries below it are '<name>/<rel>' ('proc/keys').
 * `fail` makes the first call logged as a given line throw that errno.
 */
export class FakeSyscalls implements MountSyscalls {
  readonly log: string[] = [];
  /** The options (fsconfig keys) each filesystem type was last given. */
  readonly fsOptions = new Map<string, Record<string, string | true | string[]>>();
  private readonly fds = new Map<number, string>();
  private nextFd = 100;
  private nextIno = 1000;
  /** The working directory (fchdir), and the root once pivot_root made it '/'. */
  private cwd = '/';
  private root: string | undefined;
  private readonly tree = new Map<string, { kind: 'dir' | 'file'; ino: number }>();
  private readonly failures: { line: string; code: keyof typeof E }[] = [];

  constructor(entries: Record<string, 'dir' | 'file'>) {
    for (const [path, kind] of Object.entries(entries)) this.add(path, kind);
  }

  /** The first call logged as `line` fails with this errno (once). */
  fail(line: string, code: keyof typeof E): this {
    this.failures.push({ line, code });
    return this;
  }

  /** Descriptors still open (applyPlan must close all it opened). */
  openFds(): string[] {
    return [...this.fds.values()];
  }

  exists(path: string): boolean {
    return this.tree.has(path);
  }

  private add(path: string, kind: 'dir' | 'file') {
    this.tree.set(path, { kind, ino: this.nextIno++ });
  }

  private record(line: string, syscall: string) {
    this.log.push(line);
    const i = this.failures.findIndex((f) => f.line === line);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw errnoError(E[f!.code] as number, syscall);
    }
  }

  private newFd(name: string): number {
    const fd = this.nextFd++;
    this.fds.set(fd, name);
    return fd;
  }

  private name(fd: number): string {
    if (fd === F.AT_FDCWD) return '.';
    const n = this.fds.get(fd);
    if (n === undefined) throw errnoError(E.EBADF as number, 'fake');
    return n;
  }

  /** '/proc/self/fd/N/name' → the entry it names. */
  private path(p: string): string {
    const m = /^\/proc\/self\/fd\/(\d+)(?:\/(.*))?$/.exec(p);
    if (!m) return p;
    const base = this.name(Number(m[1]));
    return m[2] === undefined ? base : `${base === '/' ? '' : base}/${m[2]}`;
  }

  private join(dirfd: number, path: string): string {
    if (dirfd === F.AT_FDCWD && path.startsWith('/')) return path;
    const base = this.name(dirfd);
    if (path === '' || path === '/') return base;
    return `${base === '/' ? '' : base}${path.startsWith('/') ? '' : '/'}${path}`;
  }

  open(path: string, _flags: number): number {
    this.record(`open ${path}`, 'open');
    if (path === '/' && this.root !== undefined) return this.newFd(this.root);
    if (!this.tree.has(path)) throw errnoError(E.ENOENT as number, 'open', path);
    return this.newFd(path);
  }
  openat(dirfd: number, path: string): number {
    const p = this.join(dirfd, path);
    this.record(`openat ${p}`, 'openat');
    this.add(p, 'file');
    return this.newFd(p);
  }
  openat2(dirfd: number, path: string): number {
    const p = this.join(dirfd, path);
    this.record(`openat2 ${p}`, 'openat2');
    if (!this.tree.has(p)) throw errnoError(E.ENOENT as number, 'openat2', path);
    return this.newFd(p);
  }
  close(fd: number): void {
    this.name(fd);
    this.fds.delete(fd);
  }
  read(): number {
    return 0;
  }
  write(_fd: number, data: Uint8Array): number {
    return data.byteLength;
  }
  mount(_source: string | null, target: string): void {
    this.record(`mount ${target}`, 'mount');
  }
  umount2(target: string): void {
    this.record(`umount2 ${this.path(target)}`, 'umount2');
  }
  openTree(dirfd: number, path: string): number {
    const src = this.join(dirfd, path);
    this.record(`open_tree ${src}`, 'open_tree');
    if (!this.tree.has(src)) throw errnoError(E.ENOENT as number, 'open_tree', path);
    const name = `clone ${src}`;
    // The clone has what its source has, under its own name.
    for (const [p, e] of [...this.tree]) {
      if (p === src || p.startsWith(`${src}/`)) this.add(name + p.slice(src.length), e.kind);
    }
    return this.newFd(name);
  }
  moveMount(from: number, _fp: string, to: number): void {
    this.record(`move_mount ${this.name(from)} -> ${this.name(to)}`, 'move_mount');
  }
  mountSetattr(fd: number): void {
    this.record(`mount_setattr ${this.name(fd)}`, 'mount_setattr');
  }
  fsopen(fsname: string): number {
    this.record(`fsopen ${fsname}`, 'fsopen');
    return this.newFd(`fsopen ${fsname}`);
  }
  fsconfig(fd: number, _cmd: number, key?: string | null, value?: string | null): void {
    if (!key) return;
    const type = this.name(fd).slice('fsopen '.length);
    const opts = this.fsOptions.get(type) ?? {};
    // Keys ending in '+' (overlayfs' lowerdir+) add one value each time.
    if (key.endsWith('+'))
      opts[key] = [...((opts[key] as string[] | undefined) ?? []), value ?? ''];
    else opts[key] = value ?? true;
    this.fsOptions.set(type, opts);
  }
  fsmount(fsfd: number): number {
    const type = this.name(fsfd).slice('fsopen '.length);
    this.record(`fsmount ${type}`, 'fsmount');
    if (!this.tree.has(type)) this.add(type, 'dir');
    return this.newFd(type);
  }
  pivotRoot(): void {
    this.record('pivot_root', 'pivot_root');
    this.root = this.cwd;
  }
  chdir(path: string): void {
    this.record(`chdir ${path}`, 'chdir');
  }
  fchdir(fd: number): void {
    this.record(`fchdir ${this.name(fd)}`, 'fchdir');
    this.cwd = this.name(fd);
  }
  mkdir(path: string): void {
    const p = this.path(path);
    this.record(`mkdir ${p}`, 'mkdir');
    if (this.tree.has(p)) throw errnoError(E.EEXIST as number, 'mkdir', p);
    this.add(p, 'dir');
  }
  createFile(path: string): void {
    const p = this.path(path);
    this.record(`create ${p}`, 'open');
    if (this.tree.has(p)) throw errnoError(E.EEXIST as number, 'open', p);
    this.add(p, 'file');
  }
  symlink(linkTo: string, path: string): void {
    this.record(`symlink ${this.path(path)} -> ${linkTo}`, 'symlink');
  }
  readlink(path: string): string {
    return this.path(path);
  }
  lstat(path: string): { dev: number; ino: number } {
    const e = this.tree.get(this.path(path));
    if (!e) throw errnoError(E.ENOENT as number, 'lstat', path);
    return { dev: 1, ino: e.ino };
  }
  isDirectory(fd: number): boolean {
    return this.tree.get(this.name(fd))?.kind !== 'file';
  }
  rmdir(path: string): void {
    const p = this.path(path);
    this.record(`rmdir ${p}`, 'rmdir');
    this.tree.delete(p);
  }
  unlink(path: string): void {
    const p = this.path(path);
    this.record(`unlink ${p}`, 'unlink');
    this.tree.delete(p);
  }
}
