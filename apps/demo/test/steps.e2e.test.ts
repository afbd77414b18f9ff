import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { listProcesses, noSubidUser, removeTree, userTempDir } from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  busyboxRoot,
  expectNoLeftovers,
  rootless,
  snapshot,
  subgid,
  subuid,
  user,
} from './helpers.js';

let bb: Awaited<ReturnType<typeof busyboxRoot>>;
beforeAll(async () => {
  bb = await busyboxRoot();
});
afterAll(() => bb?.cleanup());

describe('step 1: user namespace, capabilities', () => {
  it('rootless caps: =ep in a new user namespace, = after execve without a mapping', async () => {
    const before = snapshot();
    const r = await rootless(['caps']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^in a new user namespace, before exec \(uid 65534, unmapped\): =ep$/);
    expect(lines[1]).toMatch(/^after execve, still unmapped \(uid 65534\): +=$/);
    await expectNoLeftovers(before);
  });
});

describe('step 2: the single mapping (a user without subordinate ids)', () => {
  it('is root inside; its files are root’s, root’s files nobody’s; one warning line', async () => {
    const nosub = noSubidUser();
    const dir = userTempDir(nosub, 'rootless-demo-nosub-');
    try {
      writeFileSync(join(dir, 'mine'), 'x');
      // userTempDir chowns the directory; the file is root's until chowned.
      const { chownSync } = await import('node:fs');
      chownSync(join(dir, 'mine'), nosub.uid, nosub.gid);
      const before = snapshot(nosub);
      const r = await rootless(
        ['run', '--', 'sh', '-c', `id; stat -c '%U:%G %n' ${dir}/mine /etc/passwd`],
        { as: nosub },
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        `uid=0(root) gid=0(root) groups=0(root)\nroot:root ${dir}/mine\nnobody:nogroup /etc/passwd\n`,
      );
      expect(r.stderr).toBe(
        `rootless: warning: ${nosub.name} has no subordinate uids in /etc/subuid: falling back to a single id mapping (you are root inside, no other id exists)\n`,
      );
      await expectNoLeftovers(before, nosub);
    } finally {
      removeTree(dir);
    }
  });
});

describe('step 3: more namespaces', () => {
  it('--hostname box; root inside may change it; PID 1; ps shows only the container', async () => {
    const before = snapshot();
    const r = await rootless([
      'run',
      '--hostname',
      'box',
      '--user',
      'root',
      '--',
      'sh',
      '-c',
      'hostname; hostname other && hostname; echo $$; ps -e -o pid=,comm=',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [h1, h2, pid, ...ps] = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim());
    expect([h1, h2, pid]).toEqual(['box', 'other', '1']);
    expect(ps.map((l) => l.split(/\s+/))).toEqual([
      ['1', 'sh'],
      [expect.stringMatching(/^\d+$/), 'ps'],
    ]);
    expect(hostname()).not.toBe('other');
    await expectNoLeftovers(before);
  });
});

describe('step 4: subordinate ids', () => {
  const rule = (id: number, range: { start: number; count: number }, mapped = 1100) => [
    `${mapped} ${id} 1`,
    `0 ${range.start} ${mapped}`,
    `${mapped + 1} ${range.start + mapped} ${range.count - mapped}`,
  ];

  /**
   * The program's maps, seen from inside (its user namespace is nested in the container's, which
   * maps every container id as itself) and from the host (through the nesting: the rule).
   */
  async function maps(args: string[], marker: string) {
    const run = rootless([
      'run',
      ...args,
      '--',
      'sh',
      '-c',
      `id -u; cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; exec sleep ${marker}`,
    ]);
    let pid: number | undefined;
    for (let i = 0; i < 300 && pid === undefined; i++) {
      pid = listProcesses().find((p) => p.command === `sleep ${marker}`)?.pid;
      if (pid === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(pid, 'the container program').toBeDefined();
    const lines = (t: string) =>
      t
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).join(' '))
        .sort();
    const host = {
      uids: lines(readFileSync(`/proc/${pid}/uid_map`, 'utf8')),
      gids: lines(readFileSync(`/proc/${pid}/gid_map`, 'utf8')),
    };
    process.kill(pid!, 'SIGKILL');
    const r = await run;
    const [first, rest] = r.stdout.split('--\n');
    const [id, ...uids] = first!.trim().split('\n');
    return { id, inside: { uids: lines(uids.join('\n')), gids: lines(rest!) }, host };
  }

  it('uid_map and gid_map follow the mapping rule (--map-uid default 1100)', async () => {
    const m = await maps([], '1001.25');
    expect(m.id).toBe('1100');
    expect(m.host.uids).toEqual(rule(user.uid, subuid).sort());
    expect(m.host.gids).toEqual(rule(user.gid, subgid).sort());
    const identity = (count: number) =>
      ['0 0 1100', '1100 1100 1', `1101 1101 ${count - 1100}`].sort();
    expect(m.inside.uids).toEqual(identity(subuid.count));
    expect(m.inside.gids).toEqual(identity(subgid.count));
  });

  it('--map-uid 0 --map-gid 0 makes the user root inside, with the others mapped too', async () => {
    const m = await maps(['--map-uid', '0', '--map-gid', '0'], '1002.25');
    expect(m.id).toBe('0');
    expect(m.host.uids).toEqual([`0 ${user.uid} 1`, `1 ${subuid.start} ${subuid.count}`]);
    expect(m.inside.uids).toEqual(['0 0 1', `1 1 ${subuid.count}`]);
  });

  it('files created as several ids inside belong to the right subordinate ids on the host', async () => {
    const out = userTempDir(user, 'rootless-demo-ids-');
    try {
      const r = await rootless([
        'run',
        '--root',
        bb.root,
        '--user',
        'root',
        '-v',
        `${out}:/out:rw`,
        '--',
        'sh',
        '-c',
        'cd /out && touch a b c d && chown 0:0 a && chown 5:5 b && chown 1100:1100 c && chown 2000:3000 d',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const owner = (f: string) => {
        const st = statSync(join(out, f));
        return [st.uid, st.gid];
      };
      const host = (id: number, range: { start: number }, own: number) =>
        id === 1100 ? own : id < 1100 ? range.start + id : range.start + id - 1;
      expect(owner('a')).toEqual([host(0, subuid, user.uid), host(0, subgid, user.gid)]);
      expect(owner('b')).toEqual([host(5, subuid, user.uid), host(5, subgid, user.gid)]);
      expect(owner('c')).toEqual([user.uid, user.gid]);
      expect(owner('d')).toEqual([host(2000, subuid, user.uid), host(3000, subgid, user.gid)]);
    } finally {
      removeTree(out);
    }
  });
});

describe('step 5: a root filesystem', () => {
  it('devices usable, /sys present, resolv.conf present, pivot_root done, no host file reachable', async () => {
    const before = snapshot();
    const marker = join(bb.dir, 'host-only');
    writeFileSync(marker, 'outside');
    const script = [
      'head -c 3 /dev/zero | wc -c',
      'echo gone > /dev/null && echo null-ok',
      'head -c 8 /dev/urandom | wc -c',
      'test -d /sys/kernel && echo sys-ok',
      'test -s /etc/resolv.conf && echo resolv-ok',
      'echo $(ls /)',
      `test -e ${marker} || echo host-unreachable`,
      'test -e /work || echo no-checkout',
      'echo root-mount: $(awk \'$5 == "/" {print $4}\' /proc/self/mountinfo)',
      'echo $(ls /proc/self/fd)',
    ].join('; ');
    const r = await rootless(['run', '-r', bb.root, '--', 'sh', '-c', script]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 5)).toEqual(['3', 'null-ok', '8', 'sys-ok', 'resolv-ok']);
    expect(r.stdout).toContain('host-unreachable');
    expect(r.stdout).toContain('no-checkout');
    // One mount on "/" (the old root is detached): the bind of the busybox root directory.
    expect(lines.find((l) => l.startsWith('root-mount:'))).toMatch(/^root-mount: \S*\/bb$/);
    const ls = lines[5]!.split(/\s+/);
    expect(ls).toEqual(expect.arrayContaining(['bin', 'dev', 'etc', 'home', 'proc', 'sys', 'tmp']));
    expect(ls).not.toContain('host-only');
    // No descriptor leaked in: 0-2, and ls's own directory.
    expect(
      lines
        .at(-1)!
        .split(/\s+/)
        .map(Number)
        .filter((fd) => fd > 3),
    ).toEqual([]);
    await expectNoLeftovers(before);
  });
});

describe('step 6: user and groups', () => {
  const idOf = async (args: string[]) => {
    const r = await rootless([
      'run',
      '-r',
      bb.root,
      ...args,
      '--',
      'sh',
      '-c',
      'id; pwd; echo $HOME',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.trim().split('\n');
  };

  it('--user root', async () => {
    expect(await idOf(['--user', 'root'])).toEqual([
      'uid=0(root) gid=0(root) groups=0(root)',
      '/root',
      '/root',
    ]);
  });

  it('--user alpine (by name), --user 1100 (by id), and the default (the mapped id)', async () => {
    const alpine = [
      'uid=1100(alpine) gid=1100(alpine) groups=1100(alpine),10(wheel)',
      '/home/alpine',
      '/home/alpine',
    ];
    expect(await idOf(['--user', 'alpine'])).toEqual(alpine);
    expect(await idOf(['--user', '1100'])).toEqual(alpine);
    expect(await idOf([])).toEqual(alpine);
  });

  it('--user 1100:0', async () => {
    expect(await idOf(['--user', '1100:0'])).toEqual([
      'uid=1100(alpine) gid=0(root) groups=0(root),10(wheel)',
      '/home/alpine',
      '/home/alpine',
    ]);
  });

  it('host supplementary groups never leak in', async () => {
    // rootless started with host groups adm (4) and sudo (27) besides the user's own.
    const { execFileSync } = await import('node:child_process');
    const { CLI } = await import('./helpers.js');
    const run = (...args: string[]) =>
      execFileSync(
        'setpriv',
        [
          `--reuid=${user.uid}`,
          `--regid=${user.gid}`,
          '--groups=4,27',
          '--',
          process.execPath,
          '--single-threaded',
          CLI,
          'run',
          ...args,
        ],
        {
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home },
          cwd: '/',
        },
      );
    expect(run('--', 'id', '-G')).toBe('1100\n');
    expect(run('-r', bb.root, '--', 'id', '-G')).toBe('1100 10\n');
  });

  it('the environment is rebuilt: only PATH, HOSTNAME, TERM, HOME and -e values', async () => {
    const r = await rootless([
      'run',
      '-r',
      bb.root,
      '--hostname',
      'box',
      '-e',
      'A=1',
      '-e',
      'LANG',
      '--',
      'env',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      [
        'A=1',
        'HOME=/home/alpine',
        'HOSTNAME=box',
        'LANG=C.UTF-8',
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'TERM=xterm-256color',
      ].sort(),
    );
  });

  it('--workdir is created and entered', async () => {
    const r = await rootless(['run', '-r', bb.root, '-w', '/srv/app', '--', 'pwd']);
    expect(r.stdout).toBe('/srv/app\n');
  });
});

describe('step 7: sharing files', () => {
  it('-v host:cont is read-only by default', async () => {
    const dir = userTempDir(user, 'rootless-demo-vol-');
    try {
      writeFileSync(join(dir, 'f'), 'hello\n');
      const r = await rootless([
        'run',
        '-r',
        bb.root,
        '-v',
        `${dir}:/data`,
        '--',
        'sh',
        '-c',
        'cat /data/f; echo x > /data/f; echo status $?',
      ]);
      expect(r.stdout).toBe('hello\nstatus 1\n');
      expect(r.stderr).toMatch(/Read-only file system/);
      expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('hello\n');
    } finally {
      removeTree(dir);
    }
  });

  it('-v host:cont:rw: edits visible on the host, new files owned by the invoking user', async () => {
    const dir = userTempDir(user, 'rootless-demo-vol-');
    try {
      const { chownSync } = await import('node:fs');
      writeFileSync(join(dir, 'f'), 'hello\n');
      chownSync(join(dir, 'f'), user.uid, user.gid);
      const r = await rootless([
        'run',
        '-r',
        bb.root,
        '-v',
        `${dir}:/data:rw`,
        '--',
        'sh',
        '-c',
        "stat -c '%U' /data/f; echo edited >> /data/f; echo new > /data/g",
      ]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('alpine\n');
      expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('hello\nedited\n');
      const st = statSync(join(dir, 'g'));
      expect([st.uid, st.gid]).toEqual([user.uid, user.gid]);
    } finally {
      removeTree(dir);
    }
  });

  it('a file volume', async () => {
    const dir = userTempDir(user, 'rootless-demo-vol-');
    try {
      writeFileSync(join(dir, 'motd'), 'welcome\n');
      const r = await rootless([
        'run',
        '-r',
        bb.root,
        '-v',
        `${dir}/motd:/etc/motd`,
        '--',
        'cat',
        '/etc/motd',
      ]);
      expect(r.stdout).toBe('welcome\n');
      expect(r.code).toBe(0);
    } finally {
      removeTree(dir);
    }
  });
});

describe('exit statuses and signals', () => {
  it('the command’s own status', async () => {
    expect((await rootless(['run', '-r', bb.root, '--', 'sh', '-c', 'exit 7'])).code).toBe(7);
  });

  it('SIGTERM to rootless reaches the container; PID 1 without a handler ends with 128+15', async () => {
    const before = snapshot();
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const {spawn}=require('node:child_process');const c=spawn(${JSON.stringify(process.execPath)},['--single-threaded',${JSON.stringify(
          (await import('./helpers.js')).CLI,
        )},'run','-r',${JSON.stringify(bb.root)},'--','sleep','100'],{stdio:'inherit'});setTimeout(()=>c.kill('SIGTERM'),1500);c.on('exit',(code)=>process.exit(code));`,
      ],
      { uid: user.uid, gid: user.gid, stdio: 'pipe' },
    );
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(143);
    await expectNoLeftovers(before);
  });

  it('the command starts with no signal ignored (Node ignores SIGPIPE; the container must not)', async () => {
    const status = await rootless([
      'run',
      '-r',
      bb.root,
      '--',
      'grep',
      'SigIgn',
      '/proc/self/status',
    ]);
    expect(status.stdout).toBe('SigIgn:\t0000000000000000\n');
    // A writer to a closed pipe dies of SIGPIPE, silently, as on the host.
    const pipe = await rootless(['run', '-r', bb.root, '--', 'sh', '-c', 'yes | head -1']);
    expect(pipe.stderr).toBe('');
    expect(pipe.stdout).toBe('y\n');
  });

  it.each(['HUP', 'INT', 'QUIT', 'TERM'])(
    'SIG%s sent to rootless reaches a handler in the container',
    async (name) => {
      const { spawn } = await import('node:child_process');
      const { CLI } = await import('./helpers.js');
      const c = spawn(
        process.execPath,
        [
          '--single-threaded',
          CLI,
          'run',
          '-r',
          bb.root,
          '--',
          'sh',
          '-c',
          `trap "echo got-${name}; exit 3" ${name}; echo ready; while :; do sleep 1; done`,
        ],
        { uid: user.uid, gid: user.gid, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (d.includes('ready')) c.kill(`SIG${name}` as NodeJS.Signals);
      });
      const code = await new Promise((r) => c.on('exit', r));
      expect(out).toContain(`got-${name}`);
      expect(code).toBe(3);
    },
  );
});
