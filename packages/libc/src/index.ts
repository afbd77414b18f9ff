export { type CapSets, capget, capset } from './caps.js';
export {
  CLONE_THREW_STATUS,
  type CloneOptions,
  childStackTop,
  clone,
  DEFAULT_STACK_MARGIN,
} from './clone.js';
export {
  type CloneExecChild,
  type CloneThenExecOptions,
  cloneThenExec,
  EXEC_FAILED_STATUS,
  type PreparedExec,
} from './clone-exec.js';
export { clonePaused, type PausedChild } from './clone-paused.js';
export {
  ErrnoError,
  type ErrnoFields,
  errnoError,
  errnoFields,
  errorChain,
  formatErrorChain,
  isErrnoError,
  RootlessTsError,
  wrapError,
} from './errors.js';
export { type ReceivedFds, recvFds, sendFds } from './fdpass.js';
export {
  close,
  closeRange,
  dup3,
  fcntl,
  ioctl,
  isatty,
  type OpenHow,
  open,
  openat,
  openat2,
  type PollRequest,
  pipe2,
  poll,
  read,
  readAvailable,
  readlink,
  socketpair,
  write,
} from './fds.js';
export { flock, lgetxattr, llistxattr, lsetxattr, mknod, syncfs } from './files.js';
export { joinSessionKeyring, keyringId } from './keys.js';
export { memoryView, mmap, munmap } from './memory.js';
export {
  fsconfig,
  fsmount,
  fsopen,
  fstatfs,
  type MountAttr,
  mount,
  mountSetattr,
  moveMount,
  openTree,
  pivotRoot,
  type StatFs,
  statfs,
  umount2,
} from './mounts.js';
export { setdomainname, sethostname, setns, unshare } from './namespaces.js';
export {
  chdir,
  chroot,
  decodeWaitStatus,
  execve,
  fchdir,
  getegid,
  geteuid,
  getgid,
  getgroups,
  getpgrp,
  getpid,
  getppid,
  gettid,
  getuid,
  kill,
  pidfdOpen,
  pidfdSendSignal,
  prctl,
  setgroups,
  setpgid,
  setresgid,
  setresuid,
  setsid,
  tcsetpgrp,
  type WaitResult,
  waitpid,
} from './process.js';
export { getrandom } from './random.js';
export { type ExitStatus, type WatchExitOptions, watchExit } from './reaper.js';
export { setSignalDisposition, signalName, signalNumber, sigprocmask } from './signals.js';
export { socket } from './socket.js';
export { posixSpawn, posixSpawnAsync, type SpawnFileAction } from './spawn.js';
export { rawSyscall, type SyscallArg } from './syscall.js';
export {
  homeDir,
  hostName,
  kernelRelease,
  tempDir,
  userName,
  userNameInPasswd,
} from './system.js';
