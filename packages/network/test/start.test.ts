import { describe, expect, it } from 'vitest';
import { NetworkError, parsePortSpecs, startNetwork } from '../src/index.js';

const rejection = async (p: Promise<unknown>): Promise<NetworkError> => {
  try {
    await p;
  } catch (e) {
    return e as NetworkError;
  }
  throw new Error('expected a rejection');
};

describe('startNetwork, before anything is started', () => {
  it('a missing helper is one line naming it and its Debian package', async () => {
    const e = await rejection(
      startNetwork({ mode: 'pasta', pid: process.pid, path: '/nonexistent' }),
    );
    expect(e).toBeInstanceOf(NetworkError);
    expect(e.code).toBe('ERR_HELPER_MISSING');
    expect(e.message).toBe('pasta is not installed (Debian package passt)');
    const s = await rejection(
      startNetwork({ mode: 'slirp4netns', pid: process.pid, path: '/nonexistent' }),
    );
    expect(s.message).toBe('slirp4netns is not installed (Debian package slirp4netns)');
  });

  it('refuses ports without a helper to publish them, and a bad pid', async () => {
    const ports = parsePortSpecs(['8080:80']);
    expect((await rejection(startNetwork({ mode: 'none', pid: 1, ports }))).message).toBe(
      'ports cannot be published with --network none',
    );
    expect((await rejection(startNetwork({ mode: 'host', pid: 1, ports }))).code).toBe(
      'ERR_BAD_PORT',
    );
    expect((await rejection(startNetwork({ mode: 'pasta', pid: -3 }))).message).toBe(
      'bad container pid -3',
    );
  });

  it('none and host start nothing', async () => {
    const h = await startNetwork({ mode: 'none', pid: process.pid });
    expect(h.helperPid).toBeUndefined();
    expect(h.ports).toEqual([]);
    await h.close();
    await h.exited;
  });
});
