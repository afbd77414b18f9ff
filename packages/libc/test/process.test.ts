import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clone as C, prctl as P, signal } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import {
  close,
  decodeWaitStatus,
  execve,
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
  setSignalDisposition,
  sigprocmask,
  unshare,
} from '../src/index.js';
import { thrown } from './helpers.js';

describe('process identity', () => {
  it('getpid, getppid and gettid', () => {
    expect(getpid()).toBe(process.pid);
    expect(getppid()).toBe(process.ppid);
    // Tests run on the process's main thread here, whose tid is the pid.
    expect(gettid()).toBe(process.pid);
  });

  it('user and group ids match Node', () => {
    expect(getuid()).toBe(process.getuid!());
    expect(geteuid()).toBe(process.geteuid!());
    expect(getgid()).toBe(process.getgid!());
    expect(getegid()).toBe(process.getegid!());
    // Node's process.getgroups() adds the egid; the kernel's list is in /proc/self/status.
    const groups = readFileSync('/proc/self/status', 'utf8')
      .match(/^Groups:(.*)$/m)![1]!
      .trim();
    expect(getgroups()).toEqual(groups ? groups.split(/\s+/).map(Number) : []);
    expect(getpgrp()).toBeGreaterThan(0);
  });
});

describe('signals and pidfds', () => {
  it('kill with signal 0 checks a process; a missing one is ESRCH', () => {
    expect(() => kill(process.pid, 0)).not.toThrow();
    const e = thrown(() => kill(0x3ffffff, 0));
    expect(e.code).toBe('ESRCH');
    expect(e.syscall).toBe('kill');
  });

  it('pidfdOpen on self, and signal 0 through it', () => {
    const fd = pidfdOpen(process.pid);
    expect(fd).toBeGreaterThan(2);
    pidfdSendSignal(fd, 0);
    close(fd);
    expect(thrown(() => pidfdOpen(0x3ffffff)).code).toBe('ESRCH');
  });
});

describe('sigprocmask', () => {
  it('blocks, reads back and restores the mask', () => {
    const before = sigprocmask(signal.SIG_BLOCK, [signal.SIGUSR2, signal.SIGWINCH]);
    try {
      const now = sigprocmask(signal.SIG_BLOCK, null);
      expect(now).toContain(signal.SIGUSR2);
      expect(now).toContain(signal.SIGWINCH);
      // The kernel agrees: the thread's SigBlk mask has both bits.
      const blk = BigInt(
        `0x${readFileSync('/proc/thread-self/status', 'utf8').match(/^SigBlk:\s*(\w+)/m)![1]}`,
      );
      for (const sig of [signal.SIGUSR2, signal.SIGWINCH]) {
        expect((blk >> BigInt(sig - 1)) & 1n).toBe(1n);
      }
    } finally {
      sigprocmask(signal.SIG_SETMASK, before);
    }
    expect(sigprocmask(signal.SIG_BLOCK, null)).toEqual(before);
    expect(() => sigprocmask(signal.SIG_BLOCK, [0])).toThrow(RangeError);
  });
});

describe('prctl', () => {
  it('reads a value, with unused arguments defaulting to 0', () => {
    expect(prctl(P.PR_GET_DUMPABLE)).toBeGreaterThanOrEqual(0);
    expect(prctl(P.PR_CAPBSET_READ, 0)).toBe(1); // CAP_CHOWN is in every bounding set here
    expect(thrown(() => prctl(0x7fff_fff0)).code).toBe('EINVAL');
  });

  it('accepts bigint arguments', () => {
    const before = prctl(P.PR_GET_NO_NEW_PRIVS);
    expect(prctl(P.PR_GET_NO_NEW_PRIVS, 0n, 0n, 0n, 0n)).toBe(before);
  });
});

describe('namespaces from Node', () => {
  it('unshare(CLONE_NEWUSER) fails with EINVAL: Node is multi-threaded (why the launcher exists)', () => {
    const e = thrown(() => unshare(C.CLONE_NEWUSER));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toBe('EINVAL: invalid argument, unshare');
  });
});

describe('decodeWaitStatus', () => {
  it('decodes exits, signals, stops and WNOHANG', () => {
    expect(decodeWaitStatus(10, 42 << 8)).toMatchObject({
      exited: true,
      exitCode: 42,
      signaled: false,
      termSignal: null,
    });
    expect(decodeWaitStatus(10, signal.SIGKILL)).toMatchObject({
      exited: false,
      exitCode: null,
      signaled: true,
      termSignal: 9,
      coreDumped: false,
    });
    expect(decodeWaitStatus(10, signal.SIGSEGV | 0x80)).toMatchObject({
      signaled: true,
      termSignal: 11,
      coreDumped: true,
    });
    expect(decodeWaitStatus(10, (signal.SIGSTOP << 8) | 0x7f)).toMatchObject({
      stopped: true,
      stopSignal: 19,
      signaled: false,
      exited: false,
    });
    expect(decodeWaitStatus(10, 0xffff)).toMatchObject({ continued: true, exited: false });
    expect(decodeWaitStatus(0, 0)).toMatchObject({ pid: 0, exited: false, signaled: false });
  });
});

describe('execve', () => {
  it('throws ENOENT for a missing program, naming it', () => {
    const e = thrown(() => execve('/nonexistent/prog', ['prog'], []));
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe("ENOENT: no such file or directory, execve '/nonexistent/prog'");
  });

  it('replaces a Node process, with argv and a fresh environment; Node left FD_CLOEXEC on 0-2', () => {
    const script = fileURLToPath(new URL('./fixtures/execve.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    // Every descriptor, 0-2 included, is close-on-exec in a Node process.
    expect(r.stderr).toBe('[1,1,1]\n');
    // stdout survived the exec because the script cleared its flag first.
    expect(r.stdout).toBe('one two hi\n');
  });
});

describe('setSignalDisposition', () => {
  it('ignores and restores a signal, as /proc/self/status shows', () => {
    const ignored = () =>
      BigInt(`0x${readFileSync('/proc/self/status', 'utf8').match(/^SigIgn:\s*(\w+)/m)![1]}`);
    const SIGURG = 23;
    const bit = 1n << BigInt(SIGURG - 1);
    expect(setSignalDisposition(SIGURG, 'ignore')).toBe(false);
    expect(ignored() & bit).toBe(bit);
    expect(setSignalDisposition(SIGURG, 'default')).toBe(true);
    expect(ignored() & bit).toBe(0n);
    expect(() => setSignalDisposition(9, 'ignore')).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'signal' }),
    );
  });
});
