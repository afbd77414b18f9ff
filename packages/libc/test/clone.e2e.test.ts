import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { statvfs as ST } from '@rootless-ts/constants';
import { mountTable, removeTree, runNodeAs, testUser, userTempDir } from '@rootless-ts/testkit';
import { describe, expect, it } from 'vitest';
import { childStackTop, DEFAULT_STACK_MARGIN } from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('clone', () => {
  it('runs JS in a child in a new user namespace with full capabilities there', async () => {
    const r = await runNodeAs(testUser(), fixture('clone-userns.mjs'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.parentPid).toBe(out.processPid);
    // The child is another process: its own pid, which clone returned to the parent.
    expect(out.child.pid).not.toBe(out.parentPid);
    expect(out.child.pid).toBe(out.clonePid);
    expect(out.waited).toMatchObject({ pid: out.clonePid, exited: true, exitCode: 42 });
    // Full capabilities in the new user namespace (CAP_LAST_CAP 40 on this kernel) …
    expect(out.child.capEffLine).toBe('000001ffffffffff');
    expect(out.child.capget).toEqual({ effective: '1ffffffffff', permitted: '1ffffffffff' });
    // … none gained by the parent.
    expect(out.parentCaps).toBe('0');
    // A throw inside fn: non-zero status, and the parent went on to print all this.
    expect(out.waited2).toMatchObject({ exited: true, exitCode: 255, signaled: false });
  });
});

describe('clone in a clone child', () => {
  it('refuses to guess the stack when the stack pointer cannot be read, and works when given one', async () => {
    const r = await runNodeAs(testUser(), fixture('nested-clone.mjs'), [], { timeoutMs: 10_000 });
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    // Before, the inner child's stack was laid over the outer child's frames: V8 looped forever.
    expect(out.guessed).toMatch(/^threw: clone: cannot read the stack pointer/);
    expect(out.computed).toBe('inner exited 7');
  });
});

describe('clone into user, mount and UTS namespaces', () => {
  it('the child maps itself to root and uses the privileged bindings; the host is untouched', async () => {
    const user = testUser();
    const dir = userTempDir(user);
    const before = mountTable();
    try {
      const r = await runNodeAs(user, fixture('clone-namespaces.mjs'), [dir]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const { steps, waited } = JSON.parse(r.stdout);
      expect(waited).toMatchObject({ exited: true, exitCode: 0 });
      expect(steps.map).toEqual({ ok: { uid: 0, gid: 0 } });
      expect(steps.setresgid).toEqual({ ok: true });
      expect(steps.setresuid).toEqual({ ok: true });
      // setgroups was denied before gid_map was written, as an unprivileged mapping requires.
      expect(steps.setgroups).toEqual({
        code: 'EPERM',
        message: 'EPERM: operation not permitted, setgroups',
      });
      expect(steps.sethostname).toEqual({ ok: 'libc-test' });
      expect(steps.mount.ok.tmpfs).toBe(true);
      expect(steps.mount.ok.flags & (ST.ST_NOSUID | ST.ST_NODEV)).toBe(ST.ST_NOSUID | ST.ST_NODEV);
      const api = steps.newMountApi.ok;
      expect(api.badKey).toBe('EINVAL');
      expect(api.attached.tmpfs).toBe(true);
      expect(api.attached.flags & ST.ST_NODEV).toBe(ST.ST_NODEV);
      expect(api.attached.flags & ST.ST_RDONLY).toBe(0);
      expect(api.readOnlyFlags & ST.ST_RDONLY).toBe(ST.ST_RDONLY);
      expect(api.clonedTmpfs).toBe(true);
      expect(steps.capset).toEqual({ ok: { effective: '200000', permitted: '1ffffffffff' } });
    } finally {
      removeTree(dir);
    }
    expect(mountTable()).toEqual(before);
  });
});

describe('childStackTop', () => {
  it('lies in the main thread stack, below startstack by the margin, 16-byte aligned', () => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const startstack = BigInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[25]!);
    const top = childStackTop();
    expect(top % 16n).toBe(0n);
    expect(top).toBeLessThanOrEqual(startstack - BigInt(DEFAULT_STACK_MARGIN));
    const stack = readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .find((l) => l.endsWith('[stack]'))!;
    const [lo, hi] = stack
      .split(' ')[0]!
      .split('-')
      .map((h) => BigInt(`0x${h}`));
    expect(top).toBeLessThan(hi!);
    // The stack mapping grows on demand, so only the upper bound and V8's limit matter.
    expect(top).toBeGreaterThan(startstack - 984n * 1024n);
    expect(lo).toBeDefined();
  });
});

describe('lazy loading', () => {
  it('importing loads nothing; the first call loads the C library once', () => {
    const out = JSON.parse(
      execFileSync(process.execPath, [fixture('lazy.mjs')], { encoding: 'utf8' }),
    );
    expect(out.afterImport).toBe(0);
    expect(out.afterCalls).toEqual(['libc.so.6']);
    expect(out.pid).toBe(out.processPid);
  });
});
