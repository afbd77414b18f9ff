import { openSync, readlinkSync } from 'node:fs';
import { fcntl as F, socket as S } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import { close, fcntl, pipe2, recvFds, sendFds, socketpair } from '../src/index.js';

describe('sendFds / recvFds (SCM_RIGHTS)', () => {
  it('passes descriptors and data over a socketpair, received close-on-exec', () => {
    const [a, b] = socketpair(S.AF_UNIX, S.SOCK_STREAM | S.SOCK_CLOEXEC);
    const file = openSync('/etc/hostname', 'r');
    const [r, w] = pipe2(0);
    expect(sendFds(a, [file, w], 'tty')).toBe(3);
    const got = recvFds(b);
    expect(got.data.toString()).toBe('tty');
    expect(got.fds).toHaveLength(2);
    expect(readlinkSync(`/proc/self/fd/${got.fds[0]}`)).toBe('/etc/hostname');
    expect(readlinkSync(`/proc/self/fd/${got.fds[1]}`)).toBe(readlinkSync(`/proc/self/fd/${w}`));
    expect(fcntl(got.fds[0]!, F.F_GETFD) & F.FD_CLOEXEC).toBe(F.FD_CLOEXEC);
    for (const fd of [a, b, file, r, w, ...got.fds]) close(fd);
  });

  it('receives plain data without descriptors, and EAGAIN when nothing waits', () => {
    const [a, b] = socketpair(S.AF_UNIX, S.SOCK_STREAM | S.SOCK_CLOEXEC | S.SOCK_NONBLOCK);
    expect(() => recvFds(b)).toThrow(
      expect.objectContaining({ code: 'EAGAIN', syscall: 'recvmsg' }),
    );
    sendFds(a, [], 'x');
    expect(recvFds(b)).toEqual({ data: Buffer.from('x'), fds: [] });
    close(a);
    close(b);
  });
});
