import { check, fn } from './library.js';

/**
 * `socket(2)`: a new socket descriptor. `type` may carry SOCK_CLOEXEC and SOCK_NONBLOCK. An
 * AF_INET datagram socket is what the interface ioctls (SIOCGIFFLAGS, SIOCSIFFLAGS) are issued
 * on, in the network namespace of the calling process.
 */
export function socket(domain: number, type: number, protocol = 0): number {
  return check(
    fn('int socket(int domain, int type, int protocol)')(domain, type, protocol),
    'socket',
  );
}
