import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fcntl as F, statvfs as ST } from '@rootless-ts/constants';
import { describe, expect, it } from 'vitest';
import { close, type ErrnoError, fstatfs, open, statfs } from '../src/index.js';

/** The mount options of the mount at `target` in /proc/self/mountinfo. */
function mountOptions(target: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n');
  const line = lines.filter((l) => l.split(' ')[4] === target).at(-1);
  if (!line) throw new Error(`no mount at ${target}`);
  return line.split(' ')[5]!.split(',');
}

describe('statfs', () => {
  it('statfs("/") gives the filesystem type and the mount flags', () => {
    const s = statfs('/');
    const type = Number.parseInt(
      execFileSync('stat', ['-f', '-c', '%t', '/'], { encoding: 'utf8' }),
      16,
    );
    expect(s.type).toBe(type);
    expect(s.bsize).toBeGreaterThan(0);
    expect(typeof s.blocks).toBe('bigint');
    const opts = mountOptions('/');
    expect((s.flags & ST.ST_RDONLY) !== 0).toBe(opts.includes('ro'));
    expect((s.flags & ST.ST_NOSUID) !== 0).toBe(opts.includes('nosuid'));
  });

  it('fstatfs of /proc is procfs, nosuid/nodev/noexec as mounted', () => {
    const fd = open('/proc', F.O_PATH | F.O_CLOEXEC);
    const s = fstatfs(fd);
    close(fd);
    expect(s.type).toBe(0x9fa0); // PROC_SUPER_MAGIC
    const opts = mountOptions('/proc');
    expect((s.flags & ST.ST_NOSUID) !== 0).toBe(opts.includes('nosuid'));
    expect((s.flags & ST.ST_NODEV) !== 0).toBe(opts.includes('nodev'));
    expect((s.flags & ST.ST_NOEXEC) !== 0).toBe(opts.includes('noexec'));
  });

  it('statfs of a missing path throws ENOENT with the path', () => {
    let e: ErrnoError | undefined;
    try {
      statfs('/nonexistent/x');
    } catch (err) {
      e = err as ErrnoError;
    }
    expect(e?.message).toBe("ENOENT: no such file or directory, statfs '/nonexistent/x'");
  });
});
