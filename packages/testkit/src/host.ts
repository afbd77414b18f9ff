import { execFileSync } from 'node:child_process';
import {
  chownSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestUser } from './users.js';

/** The host's mount table as seen by this process, one line per mount without the mount ids. */
export function mountTable(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ').slice(3).join(' '))
    .sort();
}

export interface ProcessInfo {
  pid: number;
  uid: number;
  ppid: number;
  state: string;
  command: string;
}

/** Every process on the host, from /proc. */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const field = (k: string) => status.match(new RegExp(`^${k}:\\s*(.*)$`, 'm'))?.[1] ?? '';
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({
        pid: Number(entry),
        uid: Number(field('Uid').split(/\s+/)[0]),
        ppid: Number(field('PPid')),
        state: field('State').charAt(0),
        command: cmdline || `[${field('Name')}]`,
      });
    } catch {
      // The process ended while we read it.
    }
  }
  return out;
}

/** Processes whose real uid is the user's or lies in [subStart, subStart+subCount). */
export function processesOf(user: TestUser, sub?: { start: number; count: number }): ProcessInfo[] {
  return listProcesses().filter(
    (p) =>
      p.uid === user.uid ||
      (sub !== undefined && p.uid >= sub.start && p.uid < sub.start + sub.count),
  );
}

/** A fresh temporary directory owned by the user (mode 0700); remove it with removeTree. */
export function userTempDir(user: TestUser, prefix = 'rootless-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid!() === 0) chownSync(dir, user.uid, user.gid);
  return dir;
}

/**
 * Removes a tree that may hold files owned by the user's subordinate ids. Root removes it
 * directly; an unprivileged user needs a user namespace with its mapping (podman unshare's trick).
 */
export function removeTree(dir: string): void {
  if (process.getuid!() === 0) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  execFileSync('unshare', ['--map-auto', '--map-root-user', 'rm', '-rf', '--', dir], {
    stdio: 'ignore',
  });
}

/**
 * A listing of a tree, one line per entry (path, mode, owner, size, mtime unless left out, link
 * target), sorted: compare one taken before a test with one taken after, and changes show.
 * Leave mtimes out where creating and removing an entry (which touches its parent) is allowed.
 */
export function treeListing(dir: string, options: { mtimes?: boolean } = {}): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      const mtime = options.mtimes === false ? '' : ` ${st.mtimeMs}`;
      const link = st.isSymbolicLink() ? ` -> ${readlinkSync(p)}` : '';
      out.push(`${p} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size}${mtime}${link}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}
