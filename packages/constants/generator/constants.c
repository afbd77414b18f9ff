/*
 * The constants of @rootless-ts/constants, as one target's C headers define them.
 *
 * Never linked or run: codegen.mjs compiles this file (and kernel.c) to assembly with `gcc -S`,
 * once per architecture with that architecture's (cross) compiler, and reads the values the
 * compiler folded into the `.ascii "@rtc ..."` lines that the emitters of rtc.h leave there (the
 * Linux kernel's asm-offsets trick). So the aarch64 values need the aarch64 cross compiler
 * only: no emulator, no aarch64 machine. The generated files keep the order of this file.
 */
#define _GNU_SOURCE 1

#include <errno.h>
#include <fcntl.h>
#include <net/if.h> /* struct ifreq, IFF_*, IFNAMSIZ */
#include <poll.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <sys/file.h> /* flock LOCK_* */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h> /* Debian's glibc 2.36 pulls in <linux/mount.h> from here */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <ucontext.h> /* ucontext_t: getcontext/makecontext/setcontext through FFI */
#include <unistd.h>

#include <linux/capability.h>
#include <linux/keyctl.h> /* KEYCTL_*, KEY_SPEC_*: keyctl(2) */
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <linux/securebits.h>

#include <linux/sched.h> /* struct clone_args, CLONE_ARGS_SIZE_VER*, the newer CLONE_* */

#include <linux/audit.h>   /* AUDIT_ARCH_*: the architecture a seccomp filter sees */
#include <linux/filter.h>  /* struct sock_filter, struct sock_fprog: a classic BPF program */
#include <linux/seccomp.h> /* SECCOMP_SET_MODE_FILTER, SECCOMP_RET_*, SECCOMP_FILTER_FLAG_* */
#include <seccomp.h>       /* libseccomp's ABI (Debian libseccomp-dev): SCMP_ACT_*, SCMP_CMP_*, SCMP_ARCH_* */

#include "rtc.h"

#ifndef ST_NOSYMFOLLOW
/* statfs f_flags bit; the kernel has it (include/linux/statfs.h) but glibc 2.36 does not. */
#define ST_NOSYMFOLLOW 0x2000
#endif

#ifndef MQUEUE_MAGIC
/* statfs f_type of mqueue; the kernel defines it in ipc/mqueue.c, not in <linux/magic.h>. */
#define MQUEUE_MAGIC 0x19800202
#endif

void rtc_constants(void);
void rtc_constants(void) {
  /* clone: every CLONE_* of <sched.h> and <linux/sched.h> */
  C(clone, CSIGNAL);
  C(clone, CLONE_VM);
  C(clone, CLONE_FS);
  C(clone, CLONE_FILES);
  C(clone, CLONE_SIGHAND);
  C(clone, CLONE_PIDFD);
  C(clone, CLONE_PTRACE);
  C(clone, CLONE_VFORK);
  C(clone, CLONE_PARENT);
  C(clone, CLONE_THREAD);
  C(clone, CLONE_NEWNS);
  C(clone, CLONE_SYSVSEM);
  C(clone, CLONE_SETTLS);
  C(clone, CLONE_PARENT_SETTID);
  C(clone, CLONE_CHILD_CLEARTID);
  C(clone, CLONE_DETACHED);
  C(clone, CLONE_UNTRACED);
  C(clone, CLONE_CHILD_SETTID);
  C(clone, CLONE_NEWCGROUP);
  C(clone, CLONE_NEWUTS);
  C(clone, CLONE_NEWIPC);
  C(clone, CLONE_NEWUSER);
  C(clone, CLONE_NEWPID);
  C(clone, CLONE_NEWNET);
  C(clone, CLONE_IO);
  C(clone, CLONE_NEWTIME);
  C(clone, CLONE_CLEAR_SIGHAND);
  C(clone, CLONE_INTO_CGROUP);
  C(clone, CLONE_ARGS_SIZE_VER0);
  C(clone, CLONE_ARGS_SIZE_VER1);
  C(clone, CLONE_ARGS_SIZE_VER2);

  /* mount: mount(2)/umount2(2) flags and the new mount API */
  C(mount, MS_RDONLY);
  C(mount, MS_NOSUID);
  C(mount, MS_NODEV);
  C(mount, MS_NOEXEC);
  C(mount, MS_SYNCHRONOUS);
  C(mount, MS_REMOUNT);
  C(mount, MS_MANDLOCK);
  C(mount, MS_DIRSYNC);
  C(mount, MS_NOSYMFOLLOW);
  C(mount, MS_NOATIME);
  C(mount, MS_NODIRATIME);
  C(mount, MS_BIND);
  C(mount, MS_MOVE);
  C(mount, MS_REC);
  C(mount, MS_SILENT);
  C(mount, MS_POSIXACL);
  C(mount, MS_UNBINDABLE);
  C(mount, MS_PRIVATE);
  C(mount, MS_SLAVE);
  C(mount, MS_SHARED);
  C(mount, MS_RELATIME);
  C(mount, MS_KERNMOUNT);
  C(mount, MS_I_VERSION);
  C(mount, MS_STRICTATIME);
  C(mount, MS_LAZYTIME);
  C(mount, MS_MGC_VAL);
  C(mount, MS_MGC_MSK);
  C(mount, MNT_FORCE);
  C(mount, MNT_DETACH);
  C(mount, MNT_EXPIRE);
  C(mount, UMOUNT_NOFOLLOW);
  C(mount, MOUNT_ATTR_RDONLY);
  C(mount, MOUNT_ATTR_NOSUID);
  C(mount, MOUNT_ATTR_NODEV);
  C(mount, MOUNT_ATTR_NOEXEC);
  C(mount, MOUNT_ATTR__ATIME);
  C(mount, MOUNT_ATTR_RELATIME);
  C(mount, MOUNT_ATTR_NOATIME);
  C(mount, MOUNT_ATTR_STRICTATIME);
  C(mount, MOUNT_ATTR_NODIRATIME);
  C(mount, MOUNT_ATTR_IDMAP);
  C(mount, MOUNT_ATTR_NOSYMFOLLOW);
  C(mount, MOUNT_ATTR_SIZE_VER0);
  C(mount, OPEN_TREE_CLONE);
  C(mount, OPEN_TREE_CLOEXEC);
  C(mount, MOVE_MOUNT_F_SYMLINKS);
  C(mount, MOVE_MOUNT_F_AUTOMOUNTS);
  C(mount, MOVE_MOUNT_F_EMPTY_PATH);
  C(mount, MOVE_MOUNT_T_SYMLINKS);
  C(mount, MOVE_MOUNT_T_AUTOMOUNTS);
  C(mount, MOVE_MOUNT_T_EMPTY_PATH);
  C(mount, MOVE_MOUNT_SET_GROUP);
  C(mount, MOVE_MOUNT__MASK);
  C(mount, FSOPEN_CLOEXEC);
  C(mount, FSMOUNT_CLOEXEC);
  C(mount, FSPICK_CLOEXEC);
  C(mount, FSPICK_SYMLINK_NOFOLLOW);
  C(mount, FSPICK_NO_AUTOMOUNT);
  C(mount, FSPICK_EMPTY_PATH);
  C(mount, FSCONFIG_SET_FLAG);
  C(mount, FSCONFIG_SET_STRING);
  C(mount, FSCONFIG_SET_BINARY);
  C(mount, FSCONFIG_SET_PATH);
  C(mount, FSCONFIG_SET_PATH_EMPTY);
  C(mount, FSCONFIG_SET_FD);
  C(mount, FSCONFIG_CMD_CREATE);
  C(mount, FSCONFIG_CMD_RECONFIGURE);
  C(mount, AT_RECURSIVE);

  /* capability: <linux/capability.h> */
  C(capability, CAP_CHOWN);
  C(capability, CAP_DAC_OVERRIDE);
  C(capability, CAP_DAC_READ_SEARCH);
  C(capability, CAP_FOWNER);
  C(capability, CAP_FSETID);
  C(capability, CAP_KILL);
  C(capability, CAP_SETGID);
  C(capability, CAP_SETUID);
  C(capability, CAP_SETPCAP);
  C(capability, CAP_LINUX_IMMUTABLE);
  C(capability, CAP_NET_BIND_SERVICE);
  C(capability, CAP_NET_BROADCAST);
  C(capability, CAP_NET_ADMIN);
  C(capability, CAP_NET_RAW);
  C(capability, CAP_IPC_LOCK);
  C(capability, CAP_IPC_OWNER);
  C(capability, CAP_SYS_MODULE);
  C(capability, CAP_SYS_RAWIO);
  C(capability, CAP_SYS_CHROOT);
  C(capability, CAP_SYS_PTRACE);
  C(capability, CAP_SYS_PACCT);
  C(capability, CAP_SYS_ADMIN);
  C(capability, CAP_SYS_BOOT);
  C(capability, CAP_SYS_NICE);
  C(capability, CAP_SYS_RESOURCE);
  C(capability, CAP_SYS_TIME);
  C(capability, CAP_SYS_TTY_CONFIG);
  C(capability, CAP_MKNOD);
  C(capability, CAP_LEASE);
  C(capability, CAP_AUDIT_WRITE);
  C(capability, CAP_AUDIT_CONTROL);
  C(capability, CAP_SETFCAP);
  C(capability, CAP_MAC_OVERRIDE);
  C(capability, CAP_MAC_ADMIN);
  C(capability, CAP_SYSLOG);
  C(capability, CAP_WAKE_ALARM);
  C(capability, CAP_BLOCK_SUSPEND);
  C(capability, CAP_AUDIT_READ);
  C(capability, CAP_PERFMON);
  C(capability, CAP_BPF);
  C(capability, CAP_CHECKPOINT_RESTORE);
  C(capability, CAP_LAST_CAP);
  C(capability, _LINUX_CAPABILITY_VERSION_1);
  C(capability, _LINUX_CAPABILITY_U32S_1);
  C(capability, _LINUX_CAPABILITY_VERSION_2);
  C(capability, _LINUX_CAPABILITY_U32S_2);
  C(capability, _LINUX_CAPABILITY_VERSION_3);
  C(capability, _LINUX_CAPABILITY_U32S_3);
  C(capability, VFS_CAP_REVISION_MASK);
  C(capability, VFS_CAP_REVISION_SHIFT);
  C(capability, VFS_CAP_FLAGS_MASK);
  C(capability, VFS_CAP_FLAGS_EFFECTIVE);
  C(capability, VFS_CAP_REVISION_1);
  C(capability, VFS_CAP_U32_1);
  C(capability, VFS_CAP_REVISION_2);
  C(capability, VFS_CAP_U32_2);
  C(capability, VFS_CAP_REVISION_3);
  C(capability, VFS_CAP_U32_3);
  C(capability, VFS_CAP_REVISION);
  C(capability, VFS_CAP_U32);

  /* prctl: the options we use, and <linux/securebits.h> */
  C(prctl, PR_SET_PDEATHSIG);
  C(prctl, PR_GET_PDEATHSIG);
  C(prctl, PR_GET_DUMPABLE);
  C(prctl, PR_SET_DUMPABLE);
  C(prctl, PR_GET_KEEPCAPS);
  C(prctl, PR_SET_KEEPCAPS);
  C(prctl, PR_SET_NAME);
  C(prctl, PR_GET_NAME);
  C(prctl, PR_GET_SECCOMP);
  C(prctl, PR_SET_SECCOMP);
  C(prctl, PR_CAPBSET_READ);
  C(prctl, PR_CAPBSET_DROP);
  C(prctl, PR_GET_SECUREBITS);
  C(prctl, PR_SET_SECUREBITS);
  C(prctl, PR_SET_CHILD_SUBREAPER);
  C(prctl, PR_GET_CHILD_SUBREAPER);
  C(prctl, PR_SET_NO_NEW_PRIVS);
  C(prctl, PR_GET_NO_NEW_PRIVS);
  C(prctl, PR_CAP_AMBIENT);
  C(prctl, PR_CAP_AMBIENT_IS_SET);
  C(prctl, PR_CAP_AMBIENT_RAISE);
  C(prctl, PR_CAP_AMBIENT_LOWER);
  C(prctl, PR_CAP_AMBIENT_CLEAR_ALL);
  C(prctl, SECUREBITS_DEFAULT);
  C(prctl, SECURE_NOROOT);
  C(prctl, SECURE_NOROOT_LOCKED);
  C(prctl, SECBIT_NOROOT);
  C(prctl, SECBIT_NOROOT_LOCKED);
  C(prctl, SECURE_NO_SETUID_FIXUP);
  C(prctl, SECURE_NO_SETUID_FIXUP_LOCKED);
  C(prctl, SECBIT_NO_SETUID_FIXUP);
  C(prctl, SECBIT_NO_SETUID_FIXUP_LOCKED);
  C(prctl, SECURE_KEEP_CAPS);
  C(prctl, SECURE_KEEP_CAPS_LOCKED);
  C(prctl, SECBIT_KEEP_CAPS);
  C(prctl, SECBIT_KEEP_CAPS_LOCKED);
  C(prctl, SECURE_NO_CAP_AMBIENT_RAISE);
  C(prctl, SECURE_NO_CAP_AMBIENT_RAISE_LOCKED);
  C(prctl, SECBIT_NO_CAP_AMBIENT_RAISE);
  C(prctl, SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED);
  C(prctl, SECURE_ALL_BITS);
  C(prctl, SECURE_ALL_LOCKS);

  /* fcntl: open(2) flags etc. O_LARGEFILE is in kernel.c: glibc defines it as 0 on 64-bit
   * targets, the kernel's bit is what /proc/<pid>/fdinfo and F_GETFL show. */
  C(fcntl, O_ACCMODE);
  C(fcntl, O_RDONLY);
  C(fcntl, O_WRONLY);
  C(fcntl, O_RDWR);
  C(fcntl, O_CREAT);
  C(fcntl, O_EXCL);
  C(fcntl, O_NOCTTY);
  C(fcntl, O_TRUNC);
  C(fcntl, O_APPEND);
  C(fcntl, O_NONBLOCK);
  C(fcntl, O_DSYNC);
  C(fcntl, O_SYNC);
  C(fcntl, O_DIRECT);
  C(fcntl, O_DIRECTORY);
  C(fcntl, O_NOFOLLOW);
  C(fcntl, O_NOATIME);
  C(fcntl, O_CLOEXEC);
  C(fcntl, O_PATH);
  C(fcntl, O_TMPFILE);
  C(fcntl, F_DUPFD);
  C(fcntl, F_GETFD);
  C(fcntl, F_SETFD);
  C(fcntl, F_GETFL);
  C(fcntl, F_SETFL);
  C(fcntl, F_DUPFD_CLOEXEC);
  C(fcntl, FD_CLOEXEC);
  /* poll(2) events */
  C(fcntl, POLLIN);
  C(fcntl, POLLHUP);
  C(fcntl, POLLERR);
  C(fcntl, AT_FDCWD);
  C(fcntl, AT_SYMLINK_NOFOLLOW);
  C(fcntl, AT_REMOVEDIR);
  C(fcntl, AT_SYMLINK_FOLLOW);
  C(fcntl, AT_NO_AUTOMOUNT);
  C(fcntl, AT_EMPTY_PATH);
  C(fcntl, LOCK_SH);
  C(fcntl, LOCK_EX);
  C(fcntl, LOCK_NB);
  C(fcntl, LOCK_UN);
  C(fcntl, S_IFMT);
  C(fcntl, S_IFSOCK);
  C(fcntl, S_IFLNK);
  C(fcntl, S_IFREG);
  C(fcntl, S_IFBLK);
  C(fcntl, S_IFDIR);
  C(fcntl, S_IFCHR);
  C(fcntl, S_IFIFO);

  /* resolve: openat2(2) <linux/openat2.h> */
  C(resolve, RESOLVE_NO_XDEV);
  C(resolve, RESOLVE_NO_MAGICLINKS);
  C(resolve, RESOLVE_NO_SYMLINKS);
  C(resolve, RESOLVE_BENEATH);
  C(resolve, RESOLVE_IN_ROOT);
  C(resolve, RESOLVE_CACHED);

  /* closeRange: close_range(2) */
  C(closeRange, CLOSE_RANGE_UNSHARE);
  C(closeRange, CLOSE_RANGE_CLOEXEC);

  /* wait: waitpid(2)/waitid(2); P_* are glibc's idtype_t enumerators */
  C(wait, WNOHANG);
  C(wait, WUNTRACED);
  C(wait, WSTOPPED);
  C(wait, WEXITED);
  C(wait, WCONTINUED);
  C(wait, WNOWAIT);
  C(wait, __WNOTHREAD);
  C(wait, __WALL);
  C(wait, __WCLONE);
  C(wait, P_ALL);
  C(wait, P_PID);
  C(wait, P_PGID);
  C(wait, P_PIDFD);

  /* signal: SIGRTMIN/SIGRTMAX are the kernel's range; glibc reserves a few realtime signals
   * for itself and its SIGRTMIN macro is a function call. */
  C(signal, SIGHUP);
  C(signal, SIGINT);
  C(signal, SIGQUIT);
  C(signal, SIGILL);
  C(signal, SIGTRAP);
  C(signal, SIGABRT);
  C(signal, SIGIOT);
  C(signal, SIGBUS);
  C(signal, SIGFPE);
  C(signal, SIGKILL);
  C(signal, SIGUSR1);
  C(signal, SIGSEGV);
  C(signal, SIGUSR2);
  C(signal, SIGPIPE);
  C(signal, SIGALRM);
  C(signal, SIGTERM);
  C(signal, SIGSTKFLT);
  C(signal, SIGCHLD);
  C(signal, SIGCLD);
  C(signal, SIGCONT);
  C(signal, SIGSTOP);
  C(signal, SIGTSTP);
  C(signal, SIGTTIN);
  C(signal, SIGTTOU);
  C(signal, SIGURG);
  C(signal, SIGXCPU);
  C(signal, SIGXFSZ);
  C(signal, SIGVTALRM);
  C(signal, SIGPROF);
  C(signal, SIGWINCH);
  C(signal, SIGIO);
  C(signal, SIGPOLL);
  C(signal, SIGPWR);
  C(signal, SIGSYS);
  CV(signal, SIGRTMIN, __SIGRTMIN);
  CV(signal, SIGRTMAX, __SIGRTMAX);
  C(signal, NSIG);
  C(signal, SIG_BLOCK);
  C(signal, SIG_UNBLOCK);
  C(signal, SIG_SETMASK);
  /* posix_spawnattr_setflags */
  C(signal, POSIX_SPAWN_SETSIGMASK);
  C(signal, POSIX_SPAWN_SETSIGDEF);

  /* errno: every E* of <errno.h>, in numeric order; aliases after their primary name */
  C(errno, EPERM);
  C(errno, ENOENT);
  C(errno, ESRCH);
  C(errno, EINTR);
  C(errno, EIO);
  C(errno, ENXIO);
  C(errno, E2BIG);
  C(errno, ENOEXEC);
  C(errno, EBADF);
  C(errno, ECHILD);
  C(errno, EAGAIN);
  C(errno, EWOULDBLOCK);
  C(errno, ENOMEM);
  C(errno, EACCES);
  C(errno, EFAULT);
  C(errno, ENOTBLK);
  C(errno, EBUSY);
  C(errno, EEXIST);
  C(errno, EXDEV);
  C(errno, ENODEV);
  C(errno, ENOTDIR);
  C(errno, EISDIR);
  C(errno, EINVAL);
  C(errno, ENFILE);
  C(errno, EMFILE);
  C(errno, ENOTTY);
  C(errno, ETXTBSY);
  C(errno, EFBIG);
  C(errno, ENOSPC);
  C(errno, ESPIPE);
  C(errno, EROFS);
  C(errno, EMLINK);
  C(errno, EPIPE);
  C(errno, EDOM);
  C(errno, ERANGE);
  C(errno, EDEADLK);
  C(errno, EDEADLOCK);
  C(errno, ENAMETOOLONG);
  C(errno, ENOLCK);
  C(errno, ENOSYS);
  C(errno, ENOTEMPTY);
  C(errno, ELOOP);
  C(errno, ENOMSG);
  C(errno, EIDRM);
  C(errno, ECHRNG);
  C(errno, EL2NSYNC);
  C(errno, EL3HLT);
  C(errno, EL3RST);
  C(errno, ELNRNG);
  C(errno, EUNATCH);
  C(errno, ENOCSI);
  C(errno, EL2HLT);
  C(errno, EBADE);
  C(errno, EBADR);
  C(errno, EXFULL);
  C(errno, ENOANO);
  C(errno, EBADRQC);
  C(errno, EBADSLT);
  C(errno, EBFONT);
  C(errno, ENOSTR);
  C(errno, ENODATA);
  C(errno, ETIME);
  C(errno, ENOSR);
  C(errno, ENONET);
  C(errno, ENOPKG);
  C(errno, EREMOTE);
  C(errno, ENOLINK);
  C(errno, EADV);
  C(errno, ESRMNT);
  C(errno, ECOMM);
  C(errno, EPROTO);
  C(errno, EMULTIHOP);
  C(errno, EDOTDOT);
  C(errno, EBADMSG);
  C(errno, EOVERFLOW);
  C(errno, ENOTUNIQ);
  C(errno, EBADFD);
  C(errno, EREMCHG);
  C(errno, ELIBACC);
  C(errno, ELIBBAD);
  C(errno, ELIBSCN);
  C(errno, ELIBMAX);
  C(errno, ELIBEXEC);
  C(errno, EILSEQ);
  C(errno, ERESTART);
  C(errno, ESTRPIPE);
  C(errno, EUSERS);
  C(errno, ENOTSOCK);
  C(errno, EDESTADDRREQ);
  C(errno, EMSGSIZE);
  C(errno, EPROTOTYPE);
  C(errno, ENOPROTOOPT);
  C(errno, EPROTONOSUPPORT);
  C(errno, ESOCKTNOSUPPORT);
  C(errno, EOPNOTSUPP);
  C(errno, ENOTSUP);
  C(errno, EPFNOSUPPORT);
  C(errno, EAFNOSUPPORT);
  C(errno, EADDRINUSE);
  C(errno, EADDRNOTAVAIL);
  C(errno, ENETDOWN);
  C(errno, ENETUNREACH);
  C(errno, ENETRESET);
  C(errno, ECONNABORTED);
  C(errno, ECONNRESET);
  C(errno, ENOBUFS);
  C(errno, EISCONN);
  C(errno, ENOTCONN);
  C(errno, ESHUTDOWN);
  C(errno, ETOOMANYREFS);
  C(errno, ETIMEDOUT);
  C(errno, ECONNREFUSED);
  C(errno, EHOSTDOWN);
  C(errno, EHOSTUNREACH);
  C(errno, EALREADY);
  C(errno, EINPROGRESS);
  C(errno, ESTALE);
  C(errno, EUCLEAN);
  C(errno, ENOTNAM);
  C(errno, ENAVAIL);
  C(errno, EISNAM);
  C(errno, EREMOTEIO);
  C(errno, EDQUOT);
  C(errno, ENOMEDIUM);
  C(errno, EMEDIUMTYPE);
  C(errno, ECANCELED);
  C(errno, ENOKEY);
  C(errno, EKEYEXPIRED);
  C(errno, EKEYREVOKED);
  C(errno, EKEYREJECTED);
  C(errno, EOWNERDEAD);
  C(errno, ENOTRECOVERABLE);
  C(errno, ERFKILL);
  C(errno, EHWPOISON);

  /* syscall: numbers for syscall(2); they differ per architecture */
  C(syscall, SYS_capget);
  C(syscall, SYS_capset);
  C(syscall, SYS_clone);
  C(syscall, SYS_clone3);
  C(syscall, SYS_close_range);
  C(syscall, SYS_execveat);
  C(syscall, SYS_fchownat);
  C(syscall, SYS_fsconfig);
  C(syscall, SYS_fsmount);
  C(syscall, SYS_fsopen);
  C(syscall, SYS_fspick);
  C(syscall, SYS_getpid);
  C(syscall, SYS_gettid);
  C(syscall, SYS_getxattr);
  C(syscall, SYS_ioctl);
  C(syscall, SYS_keyctl);
  C(syscall, SYS_add_key);
  C(syscall, SYS_kcmp);
  C(syscall, SYS_lgetxattr);
  C(syscall, SYS_memfd_create);
  C(syscall, SYS_mkdirat);
  C(syscall, SYS_mknodat);
  C(syscall, SYS_mount);
  C(syscall, SYS_mount_setattr);
  C(syscall, SYS_move_mount);
  C(syscall, SYS_open_tree);
  C(syscall, SYS_openat2);
  C(syscall, SYS_pidfd_getfd);
  C(syscall, SYS_pidfd_open);
  C(syscall, SYS_ptrace);
  C(syscall, SYS_pidfd_send_signal);
  C(syscall, SYS_pivot_root);
  C(syscall, SYS_personality);
  C(syscall, SYS_prctl);
  C(syscall, SYS_recvmsg);
  C(syscall, SYS_rt_sigaction);
  C(syscall, SYS_seccomp);
  C(syscall, SYS_sendmsg);
  C(syscall, SYS_setdomainname);
  C(syscall, SYS_setgroups);
  C(syscall, SYS_sethostname);
  C(syscall, SYS_setns);
  C(syscall, SYS_setresgid);
  C(syscall, SYS_setresuid);
  C(syscall, SYS_symlinkat);
  C(syscall, SYS_umount2);
  C(syscall, SYS_unshare);
  C(syscall, SYS_waitid);

  /* mman */
  C(mman, PROT_NONE);
  C(mman, PROT_READ);
  C(mman, PROT_WRITE);
  C(mman, PROT_EXEC);
  C(mman, MAP_SHARED);
  C(mman, MAP_PRIVATE);
  C(mman, MAP_FIXED);
  C(mman, MAP_ANONYMOUS);
  C(mman, MAP_GROWSDOWN);
  C(mman, MAP_NORESERVE);
  C(mman, MAP_STACK);
  C(mman, MFD_CLOEXEC);
  C(mman, MFD_ALLOW_SEALING);

  /* socket */
  C(socket, AF_UNIX);
  C(socket, AF_LOCAL);
  C(socket, AF_INET);
  C(socket, AF_INET6);
  C(socket, SOCK_STREAM);
  C(socket, SOCK_DGRAM);
  C(socket, SOCK_SEQPACKET);
  C(socket, SOCK_NONBLOCK);
  C(socket, SOCK_CLOEXEC);
  C(socket, SOL_SOCKET);
  C(socket, SCM_RIGHTS);
  C(socket, SCM_CREDENTIALS);
  C(socket, SO_PASSCRED);
  C(socket, SO_PEERCRED);
  C(socket, MSG_NOSIGNAL);
  C(socket, MSG_CMSG_CLOEXEC);

  /* ioctl: terminals and <linux/nsfs.h> */
  C(ioctl, TIOCSCTTY);
  C(ioctl, TIOCSTI);
  C(ioctl, TIOCLINUX);
  C(ioctl, TIOCNOTTY);
  C(ioctl, TIOCGPGRP);
  C(ioctl, TIOCSPGRP);
  C(ioctl, TIOCGWINSZ);
  C(ioctl, TIOCSWINSZ);
  C(ioctl, TCGETS);
  C(ioctl, TIOCGPTN);
  C(ioctl, TIOCSPTLCK);
  C(ioctl, TIOCGPTPEER);
  C(ioctl, FIONREAD);
  C(ioctl, FIOCLEX);
  C(ioctl, FIONCLEX);
  C(ioctl, NS_GET_USERNS);
  C(ioctl, NS_GET_PARENT);
  C(ioctl, NS_GET_NSTYPE);
  C(ioctl, NS_GET_OWNER_UID);
  /* network interfaces (<linux/sockios.h>), on any AF_INET socket */
  C(ioctl, SIOCGIFFLAGS);
  C(ioctl, SIOCSIFFLAGS);
  C(ioctl, SIOCGIFINDEX);

  /* netif: interface flags and names of <net/if.h> */
  C(netif, IFF_UP);
  C(netif, IFF_BROADCAST);
  C(netif, IFF_LOOPBACK);
  C(netif, IFF_RUNNING);
  C(netif, IFF_MULTICAST);
  C(netif, IFNAMSIZ);

  /* keyctl: keyctl(2) operations and the special keyring ids of <linux/keyctl.h> */
  C(keyctl, KEY_SPEC_THREAD_KEYRING);
  C(keyctl, KEY_SPEC_PROCESS_KEYRING);
  C(keyctl, KEY_SPEC_SESSION_KEYRING);
  C(keyctl, KEY_SPEC_USER_KEYRING);
  C(keyctl, KEY_SPEC_USER_SESSION_KEYRING);
  C(keyctl, KEYCTL_GET_KEYRING_ID);
  C(keyctl, KEYCTL_JOIN_SESSION_KEYRING);
  C(keyctl, KEYCTL_DESCRIBE);
  C(keyctl, KEYCTL_SETPERM);

  /* statvfs: f_flag of statvfs(3), = f_flags of statfs(2) */
  C(statvfs, ST_RDONLY);
  C(statvfs, ST_NOSUID);
  C(statvfs, ST_NODEV);
  C(statvfs, ST_NOEXEC);
  C(statvfs, ST_SYNCHRONOUS);
  C(statvfs, ST_MANDLOCK);
  C(statvfs, ST_WRITE);
  C(statvfs, ST_APPEND);
  C(statvfs, ST_IMMUTABLE);
  C(statvfs, ST_NOATIME);
  C(statvfs, ST_NODIRATIME);
  C(statvfs, ST_RELATIME);
  C(statvfs, ST_NOSYMFOLLOW);

  /* fsMagic: statfs f_type values of <linux/magic.h> */
  C(fsMagic, PROC_SUPER_MAGIC);
  C(fsMagic, SYSFS_MAGIC);
  C(fsMagic, TMPFS_MAGIC);
  C(fsMagic, DEVPTS_SUPER_MAGIC);
  C(fsMagic, CGROUP2_SUPER_MAGIC);
  C(fsMagic, CGROUP_SUPER_MAGIC);
  C(fsMagic, OVERLAYFS_SUPER_MAGIC);
  C(fsMagic, NSFS_MAGIC);
  C(fsMagic, MQUEUE_MAGIC);
  C(fsMagic, EXT4_SUPER_MAGIC);
  C(fsMagic, BTRFS_SUPER_MAGIC);
  C(fsMagic, XFS_SUPER_MAGIC);
  C(fsMagic, RAMFS_MAGIC);

  /* seccomp: the kernel's seccomp(2) interface and the audit architectures a filter checks */
  C(seccomp, SECCOMP_MODE_DISABLED);
  C(seccomp, SECCOMP_MODE_STRICT);
  C(seccomp, SECCOMP_MODE_FILTER);
  C(seccomp, SECCOMP_SET_MODE_STRICT);
  C(seccomp, SECCOMP_SET_MODE_FILTER);
  C(seccomp, SECCOMP_GET_ACTION_AVAIL);
  C(seccomp, SECCOMP_GET_NOTIF_SIZES);
  C(seccomp, SECCOMP_FILTER_FLAG_TSYNC);
  C(seccomp, SECCOMP_FILTER_FLAG_LOG);
  C(seccomp, SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  C(seccomp, SECCOMP_FILTER_FLAG_NEW_LISTENER);
  C(seccomp, SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
  C(seccomp, SECCOMP_RET_KILL_PROCESS);
  C(seccomp, SECCOMP_RET_KILL_THREAD);
  C(seccomp, SECCOMP_RET_TRAP);
  C(seccomp, SECCOMP_RET_ERRNO);
  C(seccomp, SECCOMP_RET_USER_NOTIF);
  C(seccomp, SECCOMP_RET_TRACE);
  C(seccomp, SECCOMP_RET_LOG);
  C(seccomp, SECCOMP_RET_ALLOW);
  C(seccomp, SECCOMP_RET_ACTION_FULL);
  C(seccomp, SECCOMP_RET_DATA);
  C(seccomp, BPF_MAXINSNS);
  C(seccomp, AUDIT_ARCH_X86_64);
  C(seccomp, AUDIT_ARCH_I386);
  C(seccomp, AUDIT_ARCH_AARCH64);
  C(seccomp, AUDIT_ARCH_ARM);

  /* libseccomp: the ABI of libseccomp 2.5 (seccomp.h); SCMP_ACT_ERRNO(0) and SCMP_ACT_TRACE(0)
     are the bases the errno or trace message is or'ed into */
  C(libseccomp, SCMP_ACT_KILL_PROCESS);
  C(libseccomp, SCMP_ACT_KILL_THREAD);
  C(libseccomp, SCMP_ACT_KILL);
  C(libseccomp, SCMP_ACT_TRAP);
  C(libseccomp, SCMP_ACT_NOTIFY);
  CV(libseccomp, SCMP_ACT_ERRNO_BASE, SCMP_ACT_ERRNO(0));
  CV(libseccomp, SCMP_ACT_TRACE_BASE, SCMP_ACT_TRACE(0));
  C(libseccomp, SCMP_ACT_LOG);
  C(libseccomp, SCMP_ACT_ALLOW);
  C(libseccomp, SCMP_CMP_NE);
  C(libseccomp, SCMP_CMP_LT);
  C(libseccomp, SCMP_CMP_LE);
  C(libseccomp, SCMP_CMP_EQ);
  C(libseccomp, SCMP_CMP_GE);
  C(libseccomp, SCMP_CMP_GT);
  C(libseccomp, SCMP_CMP_MASKED_EQ);
  C(libseccomp, SCMP_ARCH_NATIVE);
  C(libseccomp, SCMP_ARCH_X86);
  C(libseccomp, SCMP_ARCH_X86_64);
  C(libseccomp, SCMP_ARCH_X32);
  C(libseccomp, SCMP_ARCH_ARM);
  C(libseccomp, SCMP_ARCH_AARCH64);
  C(libseccomp, SCMP_ARCH_MIPS);
  C(libseccomp, SCMP_ARCH_MIPS64);
  C(libseccomp, SCMP_ARCH_MIPS64N32);
  C(libseccomp, SCMP_ARCH_MIPSEL);
  C(libseccomp, SCMP_ARCH_MIPSEL64);
  C(libseccomp, SCMP_ARCH_MIPSEL64N32);
  C(libseccomp, SCMP_ARCH_PPC);
  C(libseccomp, SCMP_ARCH_PPC64);
  C(libseccomp, SCMP_ARCH_PPC64LE);
  C(libseccomp, SCMP_ARCH_S390);
  C(libseccomp, SCMP_ARCH_S390X);
  C(libseccomp, SCMP_ARCH_PARISC);
  C(libseccomp, SCMP_ARCH_PARISC64);
  C(libseccomp, SCMP_ARCH_RISCV64);
  C(libseccomp, SCMP_FLTATR_ACT_DEFAULT);
  C(libseccomp, SCMP_FLTATR_ACT_BADARCH);
  C(libseccomp, SCMP_FLTATR_CTL_NNP);
  C(libseccomp, SCMP_FLTATR_CTL_TSYNC);
  C(libseccomp, SCMP_FLTATR_API_TSKIP);
  C(libseccomp, SCMP_FLTATR_CTL_LOG);
  C(libseccomp, SCMP_FLTATR_CTL_SSB);
  C(libseccomp, SCMP_FLTATR_CTL_OPTIMIZE);
  C(libseccomp, SCMP_FLTATR_API_SYSRAWRC);
  C(libseccomp, __NR_SCMP_ERROR);

  /* struct: layouts passed through FFI */
  STRUCT(clone_args, struct clone_args);
  FIELD(clone_args, struct clone_args, flags);
  FIELD(clone_args, struct clone_args, pidfd);
  FIELD(clone_args, struct clone_args, child_tid);
  FIELD(clone_args, struct clone_args, parent_tid);
  FIELD(clone_args, struct clone_args, exit_signal);
  FIELD(clone_args, struct clone_args, stack);
  FIELD(clone_args, struct clone_args, stack_size);
  FIELD(clone_args, struct clone_args, tls);
  FIELD(clone_args, struct clone_args, set_tid);
  FIELD(clone_args, struct clone_args, set_tid_size);
  FIELD(clone_args, struct clone_args, cgroup);

  STRUCT(sock_fprog, struct sock_fprog);
  FIELD(sock_fprog, struct sock_fprog, len);
  FIELD(sock_fprog, struct sock_fprog, filter);

  STRUCT(sock_filter, struct sock_filter);
  FIELD(sock_filter, struct sock_filter, code);
  FIELD(sock_filter, struct sock_filter, jt);
  FIELD(sock_filter, struct sock_filter, jf);
  FIELD(sock_filter, struct sock_filter, k);

  STRUCT(scmp_arg_cmp, struct scmp_arg_cmp);
  FIELD(scmp_arg_cmp, struct scmp_arg_cmp, arg);
  FIELD(scmp_arg_cmp, struct scmp_arg_cmp, op);
  FIELD(scmp_arg_cmp, struct scmp_arg_cmp, datum_a);
  FIELD(scmp_arg_cmp, struct scmp_arg_cmp, datum_b);

  STRUCT(open_how, struct open_how);
  FIELD(open_how, struct open_how, flags);
  FIELD(open_how, struct open_how, mode);
  FIELD(open_how, struct open_how, resolve);

  STRUCT(mount_attr, struct mount_attr);
  FIELD(mount_attr, struct mount_attr, attr_set);
  FIELD(mount_attr, struct mount_attr, attr_clr);
  FIELD(mount_attr, struct mount_attr, propagation);
  FIELD(mount_attr, struct mount_attr, userns_fd);

  STRUCT(__user_cap_header_struct, struct __user_cap_header_struct);
  FIELD(__user_cap_header_struct, struct __user_cap_header_struct, version);
  FIELD(__user_cap_header_struct, struct __user_cap_header_struct, pid);

  STRUCT(__user_cap_data_struct, struct __user_cap_data_struct);
  FIELD(__user_cap_data_struct, struct __user_cap_data_struct, effective);
  FIELD(__user_cap_data_struct, struct __user_cap_data_struct, permitted);
  FIELD(__user_cap_data_struct, struct __user_cap_data_struct, inheritable);

  STRUCT(statfs, struct statfs);
  FIELD(statfs, struct statfs, f_type);
  FIELD(statfs, struct statfs, f_bsize);
  FIELD(statfs, struct statfs, f_blocks);
  FIELD(statfs, struct statfs, f_bfree);
  FIELD(statfs, struct statfs, f_bavail);
  FIELD(statfs, struct statfs, f_files);
  FIELD(statfs, struct statfs, f_ffree);
  FIELD(statfs, struct statfs, f_fsid);
  FIELD(statfs, struct statfs, f_namelen);
  FIELD(statfs, struct statfs, f_frsize);
  FIELD(statfs, struct statfs, f_flags);

  STRUCT(statvfs, struct statvfs);
  FIELD(statvfs, struct statvfs, f_bsize);
  FIELD(statvfs, struct statvfs, f_frsize);
  FIELD(statvfs, struct statvfs, f_blocks);
  FIELD(statvfs, struct statvfs, f_bfree);
  FIELD(statvfs, struct statvfs, f_bavail);
  FIELD(statvfs, struct statvfs, f_files);
  FIELD(statvfs, struct statvfs, f_ffree);
  FIELD(statvfs, struct statvfs, f_favail);
  FIELD(statvfs, struct statvfs, f_fsid);
  FIELD(statvfs, struct statvfs, f_flag);
  FIELD(statvfs, struct statvfs, f_namemax);

  /* ifr_name and ifr_flags are glibc macros for union members (ifr_ifrn.ifrn_name,
   * ifr_ifru.ifru_flags); offsetof() accepts the expanded member path. */
  STRUCT(ifreq, struct ifreq);
  FIELD(ifreq, struct ifreq, ifr_name);
  FIELD(ifreq, struct ifreq, ifr_flags);
  FIELD(ifreq, struct ifreq, ifr_ifindex);

  STRUCT(winsize, struct winsize);
  FIELD(winsize, struct winsize, ws_row);
  FIELD(winsize, struct winsize, ws_col);
  FIELD(winsize, struct winsize, ws_xpixel);
  FIELD(winsize, struct winsize, ws_ypixel);

  /* si_pid etc. are glibc macros for union members (si_pid is _sifields._kill.si_pid, si_status
   * is _sifields._sigchld.si_status); offsetof() accepts the expanded member path. */
  STRUCT(siginfo_t, siginfo_t);
  FIELD(siginfo_t, siginfo_t, si_signo);
  FIELD(siginfo_t, siginfo_t, si_errno);
  FIELD(siginfo_t, siginfo_t, si_code);
  FIELD(siginfo_t, siginfo_t, si_pid);
  FIELD(siginfo_t, siginfo_t, si_uid);
  FIELD(siginfo_t, siginfo_t, si_status);

  STRUCT(pollfd, struct pollfd);
  FIELD(pollfd, struct pollfd, fd);
  FIELD(pollfd, struct pollfd, events);
  FIELD(pollfd, struct pollfd, revents);

  /* ucontext_t: libc's cloneThenExec chains contexts (uc_link) on stacks it sets (uc_stack) */
  STRUCT(ucontext_t, ucontext_t);
  FIELD(ucontext_t, ucontext_t, uc_link);
  FIELD(ucontext_t, ucontext_t, uc_stack);
  STRUCT(stack_t, stack_t);
  FIELD(stack_t, stack_t, ss_sp);
  FIELD(stack_t, stack_t, ss_flags);
  FIELD(stack_t, stack_t, ss_size);

  STRUCT(ucred, struct ucred);
  FIELD(ucred, struct ucred, pid);
  FIELD(ucred, struct ucred, uid);
  FIELD(ucred, struct ucred, gid);

  /* opaque types and scalars: size and align only */
  STRUCT(sem_t, sem_t);
  STRUCT(sigset_t, sigset_t);
  /* posix_spawn's attributes and file actions: opaque, set only through the C library's own
   * functions */
  STRUCT(posix_spawnattr_t, posix_spawnattr_t);
  STRUCT(posix_spawn_file_actions_t, posix_spawn_file_actions_t);
  STRUCT(pid_t, pid_t);
  STRUCT(uid_t, uid_t);
  STRUCT(gid_t, gid_t);
  STRUCT(mode_t, mode_t);
  STRUCT(off_t, off_t);
  STRUCT(int, int);
  STRUCT(long, long);
  STRUCT(size_t, size_t);
  STRUCT(pointer, void *);
}
