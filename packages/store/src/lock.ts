import { closeSync, openSync } from 'node:fs';
import { fcntl } from '@rootless-ts/constants';
import * as libc from '@rootless-ts/libc';
import { StoreError } from './errors.js';

/** A held flock(2): the kernel drops it if the process dies, so a crash never leaves it stuck. */
export interface Lock {
  release(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes a shared or exclusive flock on `path` (created if missing). A blocking flock would
 * freeze the event loop, so it polls with LOCK_NB, backing off up to 100 ms.
 */
export async function lockFile(
  path: string,
  mode: 'shared' | 'exclusive',
  signal?: AbortSignal,
): Promise<Lock> {
  const fd = openSync(path, 'a', 0o600);
  const op = (mode === 'shared' ? fcntl.LOCK_SH : fcntl.LOCK_EX) | fcntl.LOCK_NB;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      libc.flock(fd, op);
      break;
    } catch (e) {
      if (
        (e as { code?: string }).code !== 'EWOULDBLOCK' &&
        (e as { code?: string }).code !== 'EAGAIN'
      ) {
        closeSync(fd);
        throw e;
      }
    }
    if (signal?.aborted) {
      closeSync(fd);
      throw new StoreError('ERR_ABORTED', `waiting for the lock ${path} was aborted`, {
        cause: signal.reason,
      });
    }
    await sleep(wait);
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}

/** The lock if it is free right now, else undefined. */
export function tryLockFile(path: string, mode: 'shared' | 'exclusive'): Lock | undefined {
  const fd = openSync(path, 'a', 0o600);
  try {
    libc.flock(fd, (mode === 'shared' ? fcntl.LOCK_SH : fcntl.LOCK_EX) | fcntl.LOCK_NB);
  } catch (e) {
    closeSync(fd);
    const code = (e as { code?: string }).code;
    if (code === 'EWOULDBLOCK' || code === 'EAGAIN') return undefined;
    throw e;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}
