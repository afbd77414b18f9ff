import { fcntl as F, ioctl as IO, netif, socket as S, struct } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import { close, fcntl, ioctl, socket } from '../src/index.js';
import { thrown } from './helpers.js';

describe('socket', () => {
  it('opens an AF_INET datagram socket, close-on-exec when asked', () => {
    const fd = socket(S.AF_INET, S.SOCK_DGRAM | S.SOCK_CLOEXEC);
    try {
      expect(fd).toBeGreaterThan(2);
      expect(fcntl(fd, F.F_GETFD) & F.FD_CLOEXEC).toBe(F.FD_CLOEXEC);
    } finally {
      close(fd);
    }
  });

  it('reads the flags of lo through SIOCGIFFLAGS (struct ifreq from the constants)', () => {
    const fd = socket(S.AF_INET, S.SOCK_DGRAM | S.SOCK_CLOEXEC);
    try {
      const req = Buffer.alloc(struct.ifreq.size);
      req.write('lo', struct.ifreq.fields.ifr_name.offset);
      ioctl(fd, IO.SIOCGIFFLAGS, req);
      const flags = req.readUInt16LE(struct.ifreq.fields.ifr_flags.offset);
      expect(flags & netif.IFF_LOOPBACK).toBe(netif.IFF_LOOPBACK);
    } finally {
      close(fd);
    }
  });

  it('fails with a Node-style error', () => {
    const e = thrown(() => socket(-1, S.SOCK_DGRAM));
    expect(e).toMatchObject({ code: 'EAFNOSUPPORT', syscall: 'socket' });
  });
});
