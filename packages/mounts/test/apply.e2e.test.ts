import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  listProcesses,
  mountTable,
  removeTree,
  type TestUser,
  testUser,
  treeListing,
  userTempDir,
} from '@rootless-ts/testkit';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DEVICES, planRootfs } from '../src/index.js';
import { buildBusyboxRoot, chown } from './helpers/rootfs.js';
import { type PlanResult, runLocked, runPlan, runWrappers } from './helpers/run.js';

// End-to-end: as the unprivileged test user, in namespaces made by unshare(1), against the
// real kernel. After each test the host's mount table is unchanged and nothing is left running.

let user: TestUser;
let dir: string;
let root: string;
let mountsBefore: string[];

beforeAll(() => {
  user = testUser();
});

beforeEach(() => {
  mountsBefore = mountTable();
  dir = userTempDir(user, 'rootless-mounts-');
  root = buildBusyboxRoot(join(dir, 'root'), user);
});

afterEach(() => {
  expect(mountTable()).toEqual(mountsBefore);
  expect(listProcesses().filter((p) => p.command.includes(dir))).toEqual([]);
  removeTree(dir);
});

/** The check's output, failing the test with its stderr when it did not succeed. */
function ok(r: PlanResult, name: string): string {
  expect(r.error).toBeUndefined();
  const c = r.checks[name];
  expect(c, `check ${name}`).toBeDefined();
  expect(c?.status, `${name}: ${c?.stderr}`).toBe(0);
  return c?.stdout ?? '';
}

/** A file and directory outside the root that attacks aim at, and a way to see them unchanged. */
function victims(): { outside: string; snapshot: () => string } {
  const outside = join(dir, 'outside');
  mkdirSync(outside, { mode: 0o777 });
  writeFileSync(join(outside, 'victim'), 'original\n');
  chown(outside, user);
  const snapshot = () =>
    JSON.stringify(
      readdirSync(outside, { recursive: true, withFileTypes: true }).map((e) => [
        e.name,
        e.isFile() ? readFileSync(join(e.parentPath, e.name), 'utf8') : e.isDirectory(),
      ]),
    );
  return { outside, snapshot };
}

describe('a busybox container root', () => {
  it('has /dev, a private /proc, a pty, masked and read-only /proc paths', async () => {
    const r = await runPlan(
      user,
      {
        options: { root },
        checks: {
          dev: 'ls /dev',
          null: 'echo hi > /dev/null',
          urandom: 'head -c 32 /dev/urandom | wc -c',
          pty: 'exec 3<>/dev/ptmx && ls /dev/pts && readlink /dev/ptmx',
          ps: 'ps -o pid,args',
          kcore: 'cat /proc/kcore 2>/dev/null | wc -c',
          keys: 'stat -c %t,%T /proc/keys && wc -c < /proc/keys',
          procSys: 'echo box > /proc/sys/kernel/hostname',
          mounts: 'cat /proc/self/mountinfo',
          sys: 'touch /sys/x',
          ls: 'ls /',
        },
      },
      ['--uts'],
    );
    const dev = ok(r, 'dev').trim().split('\n');
    for (const d of DEFAULT_DEVICES) expect(dev).toContain(d.slice('/dev/'.length));
    expect(dev).toEqual(expect.arrayContaining(['pts', 'shm', 'ptmx', 'fd', 'stdin', 'stderr']));
    ok(r, 'null');
    expect(ok(r, 'urandom').trim()).toBe('32');
    expect(ok(r, 'pty').trim().split('\n')).toEqual(['0', 'ptmx', 'pts/ptmx']);
    // Only the container's processes: node (PID 1, the fixture) and the check itself.
    const ps = ok(r, 'ps').trim().split('\n').slice(1);
    expect(ps.length).toBeLessThanOrEqual(3);
    expect(ps[0]).toMatch(/^\s*1\s+\S*node /);
    for (const line of ps) expect(Number(line.trim().split(/\s+/)[0])).toBeLessThan(100);
    // /proc/kcore is absent on this kernel or masked: nothing can be read either way.
    expect(ok(r, 'kcore').trim()).toBe('0');
    // Masked with /dev/null (character device 1,3): reads are empty.
    expect(ok(r, 'keys').trim().split('\n')).toEqual(['1,3', '0']);
    expect(r.checks.procSys?.status).not.toBe(0);
    expect(r.checks.procSys?.stderr).toContain('Read-only file system');
    expect(r.checks.sys?.stderr).toContain('Read-only file system');
    const mounts = ok(r, 'mounts')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    // The old root is gone: every mount point is one the plan made.
    expect(mounts[0]?.[4]).toBe('/');
    expect(mounts.find((m) => m[4] === '/proc/sys')?.[5]).toMatch(/^ro,/);
    expect(mounts.find((m) => m[4] === '/sys')?.[5]).toMatch(/^ro,/);
    for (const m of mounts) expect(m[4]).toMatch(/^\/((proc|dev|sys|etc)(\/|$)|$)/);
    expect(ok(r, 'ls').trim().split('\n').sort()).toEqual(
      ['bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp'].sort(),
    );
  });

  it('shares volumes: ro refuses writes with EROFS, rw changes show on the host', async () => {
    const rw = join(dir, 'rw');
    const ro = join(dir, 'ro');
    mkdirSync(rw);
    mkdirSync(ro);
    writeFileSync(join(ro, 'f'), 'host\n');
    writeFileSync(join(dir, 'app.conf'), 'conf\n');
    chown(dir, user);
    const r = await runPlan(user, {
      options: {
        root,
        volumes: [
          { source: rw, target: '/data/rw', readonly: false },
          { source: ro, target: '/data/ro', readonly: true },
          { source: join(dir, 'app.conf'), target: '/etc/app/app.conf', readonly: true },
        ],
      },
      checks: {
        rw: 'echo from-container > /data/rw/new && cat /data/rw/new',
        ro: 'cat /data/ro/f; echo changed > /data/ro/f',
        roNew: 'touch /data/ro/new',
        file: 'cat /etc/app/app.conf; echo x >> /etc/app/app.conf',
      },
    });
    expect(ok(r, 'rw')).toBe('from-container\n');
    expect(readFileSync(join(rw, 'new'), 'utf8')).toBe('from-container\n');
    expect(r.checks.ro?.stdout).toBe('host\n');
    expect(r.checks.ro?.stderr).toContain('Read-only file system');
    expect(r.checks.roNew?.stderr).toContain('Read-only file system');
    expect(readFileSync(join(ro, 'f'), 'utf8')).toBe('host\n');
    expect(readdirSync(ro)).toEqual(['f']);
    expect(r.checks.file?.stdout).toBe('conf\n');
    expect(r.checks.file?.stderr).toContain('Read-only file system');
    expect(readFileSync(join(dir, 'app.conf'), 'utf8')).toBe('conf\n');
  });

  it('with network and IPC namespaces mounts sysfs, /dev/mqueue and generates /etc files', async () => {
    const r = await runPlan(
      user,
      {
        options: { root, netns: true, ipcns: true, hostname: 'box' },
        checks: {
          mounts: 'cat /proc/self/mountinfo',
          hosts: 'cat /etc/hosts',
          hostname: 'cat /etc/hostname',
          resolv: 'cat /etc/resolv.conf',
        },
      },
      ['--net', '--ipc', '--uts'],
    );
    const mounts = ok(r, 'mounts')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const sys = mounts.find((m) => m[4] === '/sys');
    expect(sys?.[5]).toMatch(/^ro,nosuid,nodev,noexec/);
    expect(sys?.at(-3)).toBe('sysfs');
    expect(mounts.find((m) => m[4] === '/dev/mqueue')?.at(-3)).toBe('mqueue');
    expect(ok(r, 'hosts')).toContain('127.0.1.1\tbox\n');
    expect(ok(r, 'hostname')).toBe('box\n');
    expect(ok(r, 'resolv')).toBe(readFileSync('/etc/resolv.conf', 'utf8'));
    // Generated files never touch the image.
    expect(readFileSync(join(root, 'etc/hosts'), 'utf8')).toBe('');
    expect(readdirSync(join(root, 'etc')).sort()).toEqual(
      ['group', 'hostname', 'hosts', 'passwd', 'resolv.conf'].sort(),
    );
    expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('');
  });

  it('makes the root read-only while volumes, /dev and tmpfs stay writable', async () => {
    const rw = join(dir, 'rw');
    mkdirSync(rw);
    chown(rw, user);
    const r = await runPlan(user, {
      options: {
        root,
        readonlyRoot: true,
        volumes: [{ source: rw, target: '/data', readonly: false }],
        tmpfs: [{ target: '/tmp' }],
        workdir: '/work',
      },
      checks: {
        root: 'touch /new',
        data: 'touch /data/ok',
        tmp: 'touch /tmp/ok',
        shm: 'touch /dev/shm/ok',
        pwd: 'pwd',
      },
    });
    expect(r.checks.root?.stderr).toContain('Read-only file system');
    ok(r, 'data');
    ok(r, 'tmp');
    ok(r, 'shm');
    expect(ok(r, 'pwd')).toBe('/work\n');
    expect(readdirSync(rw)).toEqual(['ok']);
  });

  it('remounts read-only keeping the flags the kernel locks (nosuid, nodev, noexec)', async () => {
    const target = join(dir, 'locked');
    mkdirSync(target);
    chown(target, user);
    const r = await runLocked(user, target);
    // Without the locked flags the kernel refuses; with them (read by statfs) it works.
    expect(r.naive).toBe('EPERM');
    expect(r.remount).toBe('ok');
    expect(r.write).toBe('EROFS');
    const ST_RDONLY = 1;
    const ST_NOSUID_NODEV_NOEXEC = 2 | 4 | 8;
    expect((r.flagsBefore as number) & ST_NOSUID_NODEV_NOEXEC).toBe(ST_NOSUID_NODEV_NOEXEC);
    expect(r.flagsAfter).toBe((r.flagsBefore as number) | ST_RDONLY);
  });
});

describe('wrappers on host paths', () => {
  it('bind (read-only), propagation, lazy unmount, and a MountError for a bad unmount', async () => {
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'a', 'f'), '');
    chown(dir, user);
    const r = await runWrappers(user, dir);
    expect(r).toMatchObject({
      rootPropagation: '-',
      bound: ['f'],
      mounted: true,
      shared: true,
      afterUnmount: [],
      stillMounted: false,
      error: { name: 'MountError', op: 'unmount', path: join(dir, 'b'), code: 'EINVAL' },
    });
  });
});

describe('attacks from an untrusted root filesystem', () => {
  it('an /etc/resolv.conf symlink to a host file cannot reach it', async () => {
    const { outside, snapshot } = victims();
    const before = snapshot();
    const link = join(root, 'etc/resolv.conf');
    removeTree(link);
    symlinkSync(join(outside, 'victim'), link);
    const hostsLink = join(root, 'etc/hosts');
    removeTree(hostsLink);
    symlinkSync(join(outside, 'missing-victim'), hostsLink);
    chown(root, user);
    const r = await runPlan(user, {
      options: { root, hosts: { content: 'generated\n' } },
      checks: {
        resolv: 'cat /etc/resolv.conf',
        hosts: 'cat /etc/hosts',
        write: 'echo pwned > /etc/hosts',
      },
    });
    // The host's resolv.conf is bound, and the generated hosts written, *inside* the root
    // (where the symlinks point once the root is '/'); the victims are untouched.
    expect(ok(r, 'resolv')).toBe(readFileSync('/etc/resolv.conf', 'utf8'));
    expect(ok(r, 'hosts')).toBe('generated\n');
    expect(snapshot()).toBe(before);
    expect(readFileSync(join(root, outside, 'victim'), 'utf8')).toBe('');
  });

  it('a volume target through a symlink pointing outside stays inside the root', async () => {
    const { outside, snapshot } = victims();
    const before = snapshot();
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'f'), 'volume\n');
    symlinkSync(`/../../..${outside}`, join(root, 'vol'));
    symlinkSync(`../../../../../../../../..${outside}`, join(root, 'rel'));
    chown(dir, user);
    const r = await runPlan(user, {
      options: {
        root,
        volumes: [
          { source: data, target: '/vol/sub', readonly: false },
          { source: join(data, 'f'), target: '/rel/deep/f', readonly: true },
        ],
      },
      checks: { vol: 'cat /vol/sub/f /rel/deep/f && echo new > /vol/sub/g' },
    });
    expect(ok(r, 'vol')).toBe('volume\nvolume\n');
    expect(snapshot()).toBe(before);
    expect(readFileSync(join(data, 'g'), 'utf8')).toBe('new\n');
    // The missing targets were created under the root, at the in-root meaning of the links.
    expect(readdirSync(join(root, outside)).sort()).toEqual(['deep', 'sub']);
  });

  it('.. components in a target are clamped to the root (and refused by the planner)', async () => {
    const { outside, snapshot } = victims();
    const before = snapshot();
    const data = join(dir, 'data');
    mkdirSync(data);
    chown(dir, user);
    const outward = `/../../../../../..${outside}`;
    const r = await runPlan(user, {
      options: { root },
      extraOps: [
        { op: 'mkdir', target: `${outward}/made`, mode: 0o755 },
        {
          op: 'bind',
          source: data,
          target: `${outward}/bound`,
          recursive: true,
          readonly: false,
          create: 'dir',
        },
        {
          op: 'file',
          target: `${outward}/victim`,
          content: 'pwned\n',
          mode: 0o644,
          readonly: false,
        },
      ],
      checks: { ls: `ls ${outside}` },
    });
    expect(ok(r, 'ls').trim().split('\n').sort()).toEqual(['bound', 'made', 'victim']);
    expect(snapshot()).toBe(before);
  });

  it("a volume of the root itself shows the host's view of it, not the container's /proc", async () => {
    // Its source, the root's host path, already holds the container's /proc and /dev when the
    // volumes are bound: a clone of it then would carry them in, unmasked (/mnt/proc/keys).
    const r = await runPlan(user, {
      options: { root, volumes: [{ source: root, target: '/mnt', readonly: true }] },
      checks: {
        proc: 'ls -A /mnt/proc | wc -l; grep -c " /mnt/" /proc/self/mountinfo; cat /proc/keys | wc -c',
      },
    });
    expect(ok(r, 'proc')).toBe('0\n0\n0\n');
  });

  it('a symlink through /proc/self/root (a magic link) is refused', async () => {
    const { outside, snapshot } = victims();
    const before = snapshot();
    const link = join(root, 'etc/hosts');
    removeTree(link);
    symlinkSync(`/proc/self/root${outside}/victim`, link);
    chown(root, user);
    const r = await runPlan(user, { options: { root, hosts: { content: 'pwned\n' } } });
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({
      name: 'MountError',
      op: 'file',
      path: '/etc/hosts',
      code: 'ELOOP',
    });
    expect(snapshot()).toBe(before);
  });
});

describe('a failed plan leaves nothing behind', () => {
  it('removes the mount points it created, in the root and in volumes, when a later op fails', async () => {
    // A root without the files the plan mounts over: the plan creates them, then fails on a
    // directory volume aimed at a file (/vol/sub/afile, mounted last: parents go first).
    for (const f of ['etc/hosts', 'etc/resolv.conf', 'etc/hostname'])
      rmSync(join(root, f), { force: true });
    rmSync(join(root, 'sys'), { recursive: true, force: true });
    const data = join(dir, 'data');
    const vol = join(dir, 'vol');
    mkdirSync(data);
    mkdirSync(join(vol, 'sub'), { recursive: true });
    writeFileSync(join(vol, 'sub', 'afile'), '');
    for (const p of [data, vol, join(vol, 'sub'), join(vol, 'sub', 'afile')]) chown(p, user);
    const before = {
      root: treeListing(root, { mtimes: false }),
      vol: treeListing(vol, { mtimes: false }),
    };
    const r = await runPlan(user, {
      options: {
        root,
        hostname: 'box',
        volumes: [
          { source: vol, target: '/vol', readonly: false },
          // Created inside the /vol volume, that is, in the host directory `vol`.
          { source: data, target: '/vol/inner/data', readonly: true },
          { source: data, target: '/vol/sub/afile', readonly: true },
        ],
      },
    });
    expect(r.error).toMatchObject({ name: 'MountError', op: 'bind', path: '/vol/sub/afile' });
    expect(before.vol).toHaveLength(2);
    expect({
      root: treeListing(root, { mtimes: false }),
      vol: treeListing(vol, { mtimes: false }),
    }).toEqual(before);
  });
});

describe('a failure after pivot_root leaves nothing behind', () => {
  /** A root without the files the plan mounts over, volumes whose targets are missing. */
  function setup() {
    for (const f of ['etc/hosts', 'etc/resolv.conf', 'etc/hostname'])
      rmSync(join(root, f), { force: true });
    const data = join(dir, 'data');
    mkdirSync(data);
    chown(data, user);
    const options = {
      root,
      hostname: 'box',
      workdir: '/work/dir',
      volumes: [{ source: data, target: '/srv/data', readonly: true }],
    };
    return { options, before: treeListing(root, { mtimes: false }) };
  }

  it('a failing op after pivot_root (chdir) removes what the plan created', async () => {
    const { options, before } = setup();
    const ops = planRootfs(options);
    ops.push({ op: 'chdir', target: '/no/such/dir' });
    const r = await runPlan(user, { ops });
    expect(r.error).toMatchObject({ name: 'MountError', op: 'chdir', code: 'ENOENT' });
    expect(treeListing(root, { mtimes: false })).toEqual(before);
  });

  it("applyPlan's undo() removes what it created once the caller's next step fails", async () => {
    const { options, before } = setup();
    const r = await runPlan(user, { options, undo: true, checks: { ls: 'ls -d /srv /work' } });
    expect(r.error).toBeUndefined();
    // Undone: the mount points are gone (the volume's mount went with its mount point).
    expect(r.checks.ls?.status).not.toBe(0);
    expect(treeListing(root, { mtimes: false })).toEqual(before);
  });
});

describe('clear errors', () => {
  it('a volume target missing on a read-only root filesystem', async () => {
    const data = join(dir, 'data');
    mkdirSync(data);
    chown(data, user);
    const r = await runPlan(user, {
      preReadonly: root,
      options: { root, volumes: [{ source: data, target: '/data', readonly: true }] },
    });
    expect(r.error).toMatchObject({ name: 'MountError', op: 'bind', path: '/data', code: 'EROFS' });
    expect(r.error?.message).toContain('/data: cannot create the missing directory');
  });

  it('a source missing when the plan is applied, and a root that is not a directory', async () => {
    const gone = await runPlan(user, {
      options: { root },
      extraOps: [
        {
          op: 'bind',
          source: join(dir, 'gone'),
          target: '/gone',
          recursive: true,
          readonly: true,
          create: 'dir',
        },
      ],
    });
    expect(gone.error).toMatchObject({ op: 'bind', code: 'ENOENT' });
    expect(gone.error?.message).toContain(join(dir, 'gone'));
    const file = join(dir, 'file');
    writeFileSync(file, '');
    chown(file, user);
    const notDir = await runPlan(user, {
      ops: [
        { op: 'propagation', hostPath: '/', propagation: 'slave', recursive: true },
        { op: 'bindRoot', source: file },
      ],
    });
    expect(notDir.error).toMatchObject({ op: 'bindRoot', path: file, code: 'ENOTDIR' });
  });
});
