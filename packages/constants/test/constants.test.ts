import os from 'node:os';
import util from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  type ArchConstants,
  capability,
  clone,
  closeRange,
  constants,
  constantsFor,
  errno,
  errnoMessage,
  errnoName,
  fcntl,
  fsMagic,
  ioctl,
  mount,
  netif,
  resolve,
  signal,
  statvfs,
  struct,
  syscall,
  wait,
} from '../src/index.js';

const x64 = constantsFor('x64');
const arm64 = constantsFor('arm64');

describe('known values', () => {
  it('clone, mount, capability', () => {
    expect(x64.clone.CLONE_NEWUSER).toBe(0x10000000);
    expect(x64.clone.CLONE_NEWTIME).toBe(0x80);
    expect(x64.clone.CLONE_CLEAR_SIGHAND).toBe(0x100000000);
    expect(x64.clone.CSIGNAL).toBe(0xff);
    expect(x64.mount.MS_BIND).toBe(0x1000);
    expect(x64.mount.MS_REC).toBe(0x4000);
    expect(x64.mount.MOUNT_ATTR_IDMAP).toBe(0x100000);
    expect(x64.mount.FSCONFIG_CMD_CREATE).toBe(6);
    expect(x64.mount.AT_RECURSIVE).toBe(0x8000);
    expect(x64.capability.CAP_SYS_ADMIN).toBe(21);
    expect(x64.capability.CAP_LAST_CAP).toBe(40);
    expect(x64.capability._LINUX_CAPABILITY_VERSION_3).toBe(0x20080522);
    expect(x64.prctl.PR_SET_NO_NEW_PRIVS).toBe(38);
    expect(x64.prctl.SECBIT_NOROOT).toBe(1);
  });

  it('fcntl, resolve, closeRange, wait, statvfs', () => {
    expect(x64.fcntl.O_PATH).toBe(0o10000000);
    expect(x64.fcntl.O_CLOEXEC).toBe(0o2000000);
    expect(x64.fcntl.O_DIRECTORY).toBe(0x10000);
    expect(x64.fcntl.O_LARGEFILE).toBe(0x8000);
    expect(x64.fcntl.AT_FDCWD).toBe(-100);
    expect(x64.resolve.RESOLVE_IN_ROOT).toBe(0x10);
    expect(x64.closeRange.CLOSE_RANGE_CLOEXEC).toBe(4);
    expect(x64.wait.P_PIDFD).toBe(3);
    expect(x64.wait.__WALL).toBe(0x40000000);
    expect(x64.statvfs.ST_RDONLY).toBe(1);
    expect(x64.statvfs.ST_NOSYMFOLLOW).toBe(0x2000);
  });

  it('syscall numbers differ per architecture', () => {
    expect(x64.syscall.SYS_pivot_root).toBe(155);
    expect(arm64.syscall.SYS_pivot_root).toBe(41);
    expect(x64.syscall.SYS_clone3).toBe(435);
    expect(arm64.syscall.SYS_clone3).toBe(435);
    expect(x64.syscall.SYS_umount2).toBe(166);
    expect(arm64.syscall.SYS_umount2).toBe(39);
    expect(x64.syscall.SYS_setresuid).toBe(117);
    expect(arm64.syscall.SYS_setresuid).toBe(147);
    expect(x64.syscall.SYS_setgroups).toBe(116);
    expect(arm64.syscall.SYS_setgroups).toBe(159);
    expect(x64.syscall.SYS_lgetxattr).toBe(192);
    expect(arm64.syscall.SYS_lgetxattr).toBe(9);
  });

  it('filesystem magics are the same on every architecture', () => {
    for (const arch of [x64, arm64]) {
      expect(arch.fsMagic.TMPFS_MAGIC).toBe(0x01021994);
      expect(arch.fsMagic.PROC_SUPER_MAGIC).toBe(0x9fa0);
      expect(arch.fsMagic.CGROUP2_SUPER_MAGIC).toBe(0x63677270);
      expect(arch.fsMagic.MQUEUE_MAGIC).toBe(0x19800202);
      expect(arch.fsMagic.XFS_SUPER_MAGIC).toBe(0x58465342);
    }
    expect(arm64.fsMagic).toEqual(x64.fsMagic);
  });

  it('arm64 open flags differ from x64', () => {
    expect(arm64.fcntl.O_DIRECTORY).toBe(0x4000);
    expect(arm64.fcntl.O_NOFOLLOW).toBe(0x8000);
    expect(arm64.fcntl.O_DIRECT).toBe(0x10000);
    expect(arm64.fcntl.O_LARGEFILE).toBe(0x20000);
    expect(x64.fcntl.O_NOFOLLOW).toBe(0x20000);
    expect(arm64.fcntl.O_CLOEXEC).toBe(x64.fcntl.O_CLOEXEC);
  });

  it('struct layouts', () => {
    expect(x64.struct.clone_args.size).toBe(88);
    expect(x64.struct.clone_args.fields.cgroup).toEqual({ offset: 80, size: 8 });
    expect(x64.struct.open_how.size).toBe(24);
    expect(x64.struct.mount_attr.size).toBe(32);
    expect(x64.struct.__user_cap_data_struct.size).toBe(12);
    expect(x64.struct.siginfo_t.size).toBe(128);
    expect(x64.struct.siginfo_t.fields.si_pid.offset).toBe(16);
    expect(x64.struct.statfs.fields.f_flags.offset).toBe(80);
    expect(x64.struct.sem_t.size).toBe(32);
    expect(x64.struct.pid_t.size).toBe(4);
    for (const arch of [x64, arm64]) {
      expect(arch.struct.winsize).toEqual({
        size: 8,
        align: 2,
        fields: {
          ws_row: { offset: 0, size: 2 },
          ws_col: { offset: 2, size: 2 },
          ws_xpixel: { offset: 4, size: 2 },
          ws_ypixel: { offset: 6, size: 2 },
        },
      });
    }
  });

  it('ioctl numbers', () => {
    expect(x64.ioctl.TIOCSCTTY).toBe(0x540e);
    expect(x64.ioctl.TIOCGPTPEER).toBe(0x5441);
    expect(x64.ioctl.NS_GET_USERNS).toBe(0xb701);
  });

  it('network interfaces: SIOC*IFFLAGS, IFF_*, struct ifreq', () => {
    for (const arch of [x64, arm64]) {
      expect(arch.ioctl.SIOCGIFFLAGS).toBe(0x8913);
      expect(arch.ioctl.SIOCSIFFLAGS).toBe(0x8914);
      expect(arch.netif.IFF_UP).toBe(1);
      expect(arch.netif.IFF_LOOPBACK).toBe(8);
      expect(arch.netif.IFNAMSIZ).toBe(16);
      expect(arch.socket.AF_INET).toBe(2);
      expect(arch.struct.ifreq.size).toBe(40);
      expect(arch.struct.ifreq.fields.ifr_name).toEqual({ offset: 0, size: 16 });
      expect(arch.struct.ifreq.fields.ifr_flags).toEqual({ offset: 16, size: 2 });
    }
  });
});

describe('errno', () => {
  it('EPERM', () => {
    expect(x64.errno.EPERM).toBe(1);
    expect(x64.errnoName[1]).toBe('EPERM');
    expect(x64.errnoMessage.EPERM).toBe('operation not permitted');
    expect(x64.errnoMessage.ENOENT).toBe('no such file or directory');
    expect(x64.errnoMessage.ENOTBLK).toBe('block device required');
  });

  it('keeps the aliases, names each number once', () => {
    expect(errno.EWOULDBLOCK).toBe(errno.EAGAIN);
    expect(errno.EDEADLOCK).toBe(errno.EDEADLK);
    expect(errno.ENOTSUP).toBe(errno.EOPNOTSUPP);
    expect(Object.keys(errnoName)).toHaveLength(new Set(Object.values(errno)).size);
    for (const name of Object.values(errnoName)) expect(errnoMessage[name]).toBeTypeOf('string');
  });

  it('agrees with Node on numbers, names and messages', () => {
    for (const [name, n] of Object.entries(os.constants.errno))
      expect(errno, name).toHaveProperty(name, n);
    const libuv = util.getSystemErrorMap();
    const nodeErrno = Object.entries(os.constants.errno);
    for (const [n, name] of Object.entries(errnoName)) {
      // libuv's name and message where it has one (EAGAIN, ENOTSUP), else one of Node's names.
      const uv = libuv.get(-Number(n));
      if (uv) expect([name, errnoMessage[name]]).toEqual(uv);
      const nodeNames = nodeErrno.filter(([, v]) => v === Number(n)).map(([k]) => k);
      if (nodeNames.length > 0) expect(nodeNames).toContain(name);
    }
  });
});

describe('signal', () => {
  it('agrees with Node', () => {
    for (const [name, n] of Object.entries(os.constants.signals))
      expect(signal, name).toHaveProperty(name, n);
  });

  it('has the kernel realtime range', () => {
    for (const arch of [x64, arm64]) {
      expect(arch.signal.SIGRTMIN).toBe(32);
      expect(arch.signal.SIGRTMAX).toBe(64);
      expect(arch.signal.SIG_SETMASK).toBe(2);
    }
  });
});

describe('API', () => {
  it('constants is the running architecture', () => {
    expect(constants).toBe(constantsFor(process.arch));
    expect(clone).toBe(constants.clone);
    expect(mount).toBe(constants.mount);
    expect(capability).toBe(constants.capability);
    expect(fcntl).toBe(constants.fcntl);
    expect(resolve).toBe(constants.resolve);
    expect(closeRange).toBe(constants.closeRange);
    expect(wait).toBe(constants.wait);
    expect(syscall).toBe(constants.syscall);
    expect(ioctl).toBe(constants.ioctl);
    expect(netif).toBe(constants.netif);
    expect(statvfs).toBe(constants.statvfs);
    expect(fsMagic).toBe(constants.fsMagic);
    expect(struct).toBe(constants.struct);
  });

  it('has the same shape on every architecture', () => {
    const shape = (c: ArchConstants) =>
      Object.entries(c).map(([group, values]) => [group, Object.keys(values)]);
    expect(shape(arm64)).toEqual(shape(x64));
  });

  it('is frozen', () => {
    expect(Object.isFrozen(clone)).toBe(true);
    expect(Object.isFrozen(struct.clone_args.fields.flags)).toBe(true);
  });

  it('throws a clear error for an unknown architecture', () => {
    expect(() => constantsFor('ppc64')).toThrow(
      new Error(
        '@rootless-ts/constants: no constants for architecture "ppc64" (available: x64, arm64); ' +
          'generate them with npm run codegen on that architecture',
      ),
    );
    expect(() => constantsFor('toString')).toThrow(/"toString"/);
  });

  it('types the keys', () => {
    const n: number = clone.CLONE_NEWUSER;
    expect(n).toBe(constants.clone.CLONE_NEWUSER);
    // @ts-expect-error a misspelt key is a type error
    expect(clone.CLONE_NEWUSR).toBeUndefined();
  });
});
