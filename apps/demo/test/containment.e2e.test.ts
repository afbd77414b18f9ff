import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { noSubidUser, runAs, type TestUser, testkitFixture } from '@rootless-ts/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  busyboxRoot,
  CLI,
  expectNoLeftovers,
  expectOneLine,
  hostEnv,
  rootless,
  type Snapshot,
  snapshot,
  user,
} from './helpers.js';
import { Tmux } from './tmux.js';

/**
 * The attack suite of `rootless run`'s containment, as the unprivileged test user against the
 * real kernel: what a hostile image (or root inside) tries against the terminal, the keyrings,
 * the seccomp filter and the capabilities of the person who started it; each test checks the
 * host afterwards.
 */

let bb: Awaited<ReturnType<typeof busyboxRoot>>;
/** The TIOCSTI probe, built static: on the host (in the user's directory) and in the image. */
let probe: string;
const probeInRoot = '/tiocsti';

beforeAll(async () => {
  bb = await busyboxRoot();
  probe = join(bb.dir, 'tiocsti');
  const source = testkitFixture('tiocsti.c');
  try {
    execFileSync('gcc', ['-static', '-O1', '-o', probe, source], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    throw new Error(
      `cannot build the TIOCSTI probe (apt-get install gcc libc6-dev): ${(e as Error).message}`,
    );
  }
  chmodSync(probe, 0o755);
  copyFileSync(probe, join(bb.root, probeInRoot));
  chmodSync(join(bb.root, probeInRoot), 0o755);
}, 120_000);
afterAll(() => bb?.cleanup());

describe('the terminal: no program inside may type into the shell that started it', () => {
  let term: Tmux | undefined;
  let before: Snapshot;
  afterEach(async () => {
    await term?.kill();
    term = undefined;
    await expectNoLeftovers(before);
  });

  /**
   * Runs `command` (with FILE replaced by a fresh path) in an interactive host shell in tmux,
   * then, once it is done, one more line: whatever the command pushed into the terminal's input
   * was read and run by that shell before it. Returns the probe's report, the screen, and the
   * files `echo PWNED > FILE-<way>` made.
   */
  async function attack(command: (file: string) => string) {
    before = snapshot();
    term = new Tmux(user, bb.dir);
    await term.shell();
    await term.waitFor(/\$ ?$/m);
    const file = join(bb.dir, `pwned-${Math.random().toString(36).slice(2)}`);
    await term.line(`${command(file)}; echo DONE:$?`);
    await term.waitFor(/^DONE:\d+/m, 20_000);
    await term.line('echo MARK-$((6*7))');
    const screen = await term.waitFor(/^MARK-42/m);
    const report = /stdin=\S+ tty=\S+ (path=\S+ )?high=\S+ linux=\S+/.exec(screen)?.[0];
    const made = readdirSync(bb.dir).filter((f) => f.startsWith(`${file.split('/').at(-1)}-`));
    return { report, screen, made };
  }

  it('control: the same program run on the host does type into it (so the tests prove something)', async () => {
    const r = await attack((file) => `${probe} ${file} $(tty)`);
    expect(
      r.report,
      'a kernel with dev.tty.legacy_tiocsti = 0 refuses TIOCSTI to everyone: the control cannot show the attack there',
    ).toMatch(/^stdin=OK tty=OK path=OK high=OK/);
    expect(r.made.sort().map((f) => f.split('-').at(-1))).toEqual(['high', 'path', 'stdin', 'tty']);
    expect(r.screen).toContain('echo PWNED >');
  });

  it('without -t, with a root filesystem: refused through fd 0, /dev/tty and a 64-bit command', async () => {
    const r = await attack(
      (file) =>
        `${process.execPath} --single-threaded ${CLI} run -r ${bb.root} -- ${probeInRoot} ${file}`,
    );
    // A session of its own: the terminal is not its controlling terminal (EPERM), it has none
    // (/dev/tty: ENXIO); the terminal guard refuses TIOCLINUX.
    expect(r.report).toBe('stdin=EPERM tty=ENXIO high=EPERM linux=EPERM');
    expect(r.made).toEqual([]);
    expect(r.screen).not.toContain('echo PWNED >');
  });

  it('without -t and without seccomp, over the host files: the new session alone refuses it, even through /dev/pts/N', async () => {
    const r = await attack(
      (file) =>
        `${process.execPath} --single-threaded ${CLI} run --security-opt seccomp=unconfined -- ${probe} ${file} $(tty)`,
    );
    expect(r.report).toBe('stdin=EPERM tty=ENXIO path=EPERM high=EPERM linux=ENOTTY');
    expect(r.made).toEqual([]);
    expect(r.screen).not.toContain('echo PWNED >');
  });

  it('with -t: the container has its own pty; nothing reaches the host shell', async () => {
    for (const opts of ['', '--security-opt seccomp=unconfined']) {
      const r = await attack(
        (file) =>
          `${process.execPath} --single-threaded ${CLI} run -t ${opts} -r ${bb.root} -- ${probeInRoot} ${file}`,
      );
      // Its own pty is its controlling terminal: only the guard stands between TIOCSTI and it,
      // and what lands there is the container's own input, read by nobody outside.
      expect(r.report).toMatch(
        opts ? /^stdin=OK tty=OK high=OK/ : /^stdin=EPERM tty=EPERM high=EPERM linux=EPERM/,
      );
      expect(r.made).toEqual([]);
      await term?.kill();
      term = undefined;
    }
  });
});

describe('the terminal: Ctrl-C and Ctrl-\\ still reach a container in its own session', () => {
  let term: Tmux | undefined;
  let before: Snapshot;
  afterEach(async () => {
    await term?.kill();
    term = undefined;
    await expectNoLeftovers(before);
  });

  it('Ctrl-\\ ends a command run by a shell inside, without -t; the shell carries on', async () => {
    before = snapshot();
    term = new Tmux(user, bb.dir);
    await term.start(`${process.execPath} --single-threaded ${CLI} run -r ${bb.root} -- sh -i`);
    await term.waitFor(/\$ ?$/m);
    await term.line('sleep 100; echo after-sleep');
    await new Promise((r) => setTimeout(r, 500));
    await term.send('C-\\');
    // sleep is killed (the shell says Quit); the shell, which ignores SIGQUIT, goes on with
    // the rest of the line at once, not 100 s later.
    await term.waitFor(/Quit\n(.*\n)?after-sleep/);
    await term.line('echo alive-$((6*7))');
    await term.waitFor(/alive-42/);
    await term.line('exit 3');
    await term.waitFor(/EXIT:3/);
  });
});

describe('keyrings: the container gets a session keyring of its own', () => {
  /**
   * As `who`, in a session keyring the test makes: adds a key, runs `rootless run ARGS` whose
   * command tries to reach it by every keyctl operation, then reads the key again.
   */
  async function keyAttack(who: TestUser, args: string[]) {
    const inside = [
      'keyctl show @s',
      'keyctl print "$1" || echo FAILED:print',
      'keyctl print %user:secret || echo FAILED:print-by-name',
      'keyctl search @s user secret || echo FAILED:search',
      'keyctl update "$1" HACKED || echo FAILED:update',
      'keyctl link "$1" @s || echo FAILED:link',
      'keyctl setperm "$1" 0x3f3f3f3f || echo FAILED:setperm',
      'keyctl revoke "$1" || echo FAILED:revoke',
    ].join('; ');
    const script = [
      'id=$(keyctl add user secret VALUE @s)',
      `${process.execPath} --single-threaded ${CLI} run ${args.join(' ')} -- sh -c '${inside}' sh "$id" 2>&1`,
      'echo "STATUS:$?"',
      'echo "HOST:$(keyctl print "$id")"',
      'keyctl show @s',
    ].join('; ');
    const r = await runAs(who, 'keyctl', ['session', '-', 'sh', '-c', script], {
      env: hostEnv(who),
      timeoutMs: 60_000,
    });
    return r.stdout;
  }

  for (const [label, who, args] of [
    [
      'the default user (the host uid itself), no seccomp',
      user,
      ['--security-opt', 'seccomp=unconfined'],
    ],
    ['root inside, no seccomp', user, ['-u', '0', '--security-opt', 'seccomp=unconfined']],
    ["the default user, podman's profile", user, []],
    [
      'root inside under the single mapping (the host uid)',
      noSubidUser(),
      ['--security-opt', 'seccomp=unconfined'],
    ],
  ] as Array<[string, TestUser, string[]]>) {
    it(`cannot read, find, change or link the caller's session key: ${label}`, async () => {
      const before = snapshot(who);
      const out = await keyAttack(who, args);
      const [inside = '', host = ''] = out.split(/^STATUS:\d+\n/m);
      expect(out).toMatch(/^STATUS:0$/m);
      // Its @s is a new, empty keyring: the caller's key is not in it.
      expect(inside).toMatch(/^Keyring\n\s*\d+ [-a-z]+\s+\d+\s+\d+\s+keyring: _ses\n/m);
      expect(inside).not.toMatch(/user: secret/);
      for (const op of [
        'print',
        'print-by-name',
        'search',
        'update',
        'link',
        'setperm',
        'revoke',
      ]) {
        expect(inside).toContain(`FAILED:${op}\n`);
      }
      expect(inside).not.toContain('VALUE');
      // The host's key is unchanged, still in the caller's keyring.
      expect(host).toMatch(/^HOST:VALUE$/m);
      expect(host).toMatch(/user: secret/);
      await expectNoLeftovers(before, who);
    });
  }

  it('the keyring is usable by a non-root user inside', async () => {
    const r = await rootless([
      'run',
      '--security-opt',
      'seccomp=unconfined',
      '--',
      'sh',
      '-c',
      'id -u; keyctl add user mine v @s >/dev/null && keyctl print %user:mine',
    ]);
    expect(r.stdout).toBe('1100\nv\n');
    expect(r.code).toBe(0);
  });
});

describe('seccomp: podman’s profile by default, --security-opt seccomp=unconfined|FILE', () => {
  const status = (field: string, text: string) =>
    new RegExp(`^${field}:\\s*(\\S+)$`, 'm').exec(text)?.[1];

  it("runs under podman's profile and the terminal guard by default: Seccomp 2", async () => {
    const r = await rootless(['run', '-r', bb.root, '--', 'cat', '/proc/self/status']);
    expect(r.code).toBe(0);
    expect(status('Seccomp', r.stdout)).toBe('2');
    expect(status('Seccomp_filters', r.stdout)).toBe('2');
    expect(status('NoNewPrivs', r.stdout)).toBe('1');
  });

  it("a call podman's profile leaves out fails with its errno (add_key: ENOSYS); allowed calls work", async () => {
    const r = await rootless([
      'run',
      '--',
      'sh',
      '-c',
      'keyctl add user k v @s; echo status=$?; mkdir /tmp/rt-seccomp-$$ && rmdir /tmp/rt-seccomp-$$ && echo ok',
    ]);
    expect(r.stderr).toContain('Function not implemented');
    expect(r.stdout).toBe('status=1\nok\n');
  });

  it('unconfined: Seccomp 0, and the call works', async () => {
    const r = await rootless([
      'run',
      '--security-opt',
      'seccomp=unconfined',
      '--',
      'sh',
      '-c',
      'grep -E "^Seccomp:" /proc/self/status; keyctl add user k v @s >/dev/null && echo added',
    ]);
    expect(r.stdout).toBe('Seccomp:\t0\nadded\n');
  });

  it("a profile file: a denied call fails with the profile's errno, allowed ones work", async () => {
    const file = join(bb.dir, 'no-mkdir.json');
    writeFileSync(
      file,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }],
      }),
    );
    chmodSync(file, 0o644);
    const target = join(bb.dir, 'denied');
    const r = await rootless([
      'run',
      '--security-opt',
      `seccomp=${file}`,
      '--',
      'sh',
      '-c',
      `grep -E "^Seccomp:" /proc/self/status; mkdir ${target}; echo mkdir=$?; echo ok > ${bb.dir}/allowed-$$ && rm ${bb.dir}/allowed-$$ && echo write-ok`,
    ]);
    // 122: EDQUOT, an errno nothing else would give here.
    expect(r.stderr).toMatch(/quota/i);
    expect(r.stdout).toBe('Seccomp:\t2\nmkdir=1\nwrite-ok\n');
    expect(existsSync(target)).toBe(false);
  });

  it('a bad profile: one line naming the field, 125, before anything starts, nothing left behind', async () => {
    const file = join(bb.dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_FOO' }],
      }),
    );
    chmodSync(file, 0o644);
    const before = snapshot(user, bb.dir);
    const marker = join(bb.dir, 'ran');
    const r = await rootless(['run', '--security-opt', `seccomp=${file}`, '--', 'touch', marker]);
    expect(r.code).toBe(125);
    expectOneLine(
      r.stderr,
      new RegExp(
        `^rootless: --security-opt seccomp=${file}: syscalls\\[0\\]\\.action: unknown action "SCMP_ACT_FOO"$`,
      ),
    );
    expect(existsSync(marker)).toBe(false);
    await expectNoLeftovers(before, user, bb.dir);
  });

  it('the cache of compiled programs is out of reach of root inside a root filesystem', async () => {
    // The user's cache (a run fills it): a program there is the next container's filter.
    expect((await rootless(['run', '-r', bb.root, '--', 'true'])).code).toBe(0);
    const cache = join(user.home, '.cache', 'rootless-ts', 'seccomp');
    const programs = () =>
      readdirSync(cache)
        .sort()
        .map((f) => `${f} ${readFileSync(join(cache, f)).toString('base64')}`);
    const before = programs();
    expect(before.length).toBeGreaterThan(0);
    // Control: over the host's files (no --root) the path is the real cache, listed as it is.
    const control = await rootless(['run', '--', 'ls', cache]);
    expect(control.stdout.trim().split('\n').sort()).toEqual(readdirSync(cache).sort());
    // The attack: root inside overwrites every program it finds at that path and plants one.
    const inRoot = join(bb.root, user.home);
    const hadHome = existsSync(inRoot);
    const attack = `mkdir -p ${cache} && for f in ${cache}/*.bpf; do echo x > "$f"; done; echo x > ${cache}/planted.bpf; ls ${cache}`;
    const r = await rootless(['run', '-u', '0', '-r', bb.root, '--', 'sh', '-c', attack]);
    try {
      expect(r.code).toBe(0);
      // It wrote in the container's root (its own files), not in the user's cache.
      expect(r.stdout).toContain('planted.bpf');
      expect(programs()).toEqual(before);
    } finally {
      rmSync(hadHome ? join(inRoot, '.cache') : inRoot, { recursive: true, force: true });
    }
  });
});

describe('capabilities: --cap-add, --cap-drop', () => {
  const caps = (text: string) =>
    Object.fromEntries(
      [...text.matchAll(/^(Cap\w+):\s*([0-9a-f]+)$/gm)].map((m) => [m[1]!, BigInt(`0x${m[2]}`)]),
    );
  const bit = (n: number) => 1n << BigInt(n);
  // podman's default set (chown dac_override fowner fsetid kill setgid setuid setpcap
  // net_bind_service sys_chroot setfcap) and CAP_SYS_ADMIN.
  const PODMAN = [0, 1, 3, 4, 5, 6, 7, 8, 10, 18, 31].reduce((m, n) => m | bit(n), 0n);
  const DEFAULT = PODMAN | bit(21);
  const run = async (args: string[]) => {
    const r = await rootless(['run', ...args, '--', 'grep', '^Cap', '/proc/self/status']);
    expect(r.code, r.stderr).toBe(0);
    return caps(r.stdout);
  };

  it("root inside: podman's set and CAP_SYS_ADMIN, as bounding, effective and permitted", async () => {
    const c = await run(['-u', '0']);
    expect(c).toEqual({
      CapInh: 0n,
      CapPrm: DEFAULT,
      CapEff: DEFAULT,
      CapBnd: DEFAULT,
      CapAmb: 0n,
    });
  });

  it('another user: the set bounds it, it holds nothing', async () => {
    const c = await run([]);
    expect(c).toEqual({ CapInh: 0n, CapPrm: 0n, CapEff: 0n, CapBnd: DEFAULT, CapAmb: 0n });
  });

  it('--cap-add and --cap-drop, for root and for another user (ambient)', async () => {
    const root = await run([
      '-u',
      '0',
      '--cap-add',
      'NET_RAW',
      '--cap-drop',
      'cap_sys_admin,chown',
    ]);
    const want = (DEFAULT | bit(13)) & ~bit(21) & ~bit(0);
    expect(root).toMatchObject({ CapEff: want, CapBnd: want, CapAmb: 0n });
    const other = await run(['--cap-add', 'net_raw']);
    expect(other).toEqual({
      CapInh: bit(13),
      CapPrm: bit(13),
      CapEff: bit(13),
      CapBnd: DEFAULT | bit(13),
      CapAmb: bit(13),
    });
    const none = await run(['-u', '0', '--cap-drop', 'ALL', '--cap-add', 'chown']);
    expect(none).toMatchObject({ CapEff: bit(0), CapBnd: bit(0) });
  });

  it('root without CAP_SYS_ADMIN cannot change the hostname; with the default set it can', async () => {
    const ok = await rootless(['run', '-u', '0', '--', 'sh', '-c', 'hostname changed && hostname']);
    expect(ok.stdout).toBe('changed\n');
    const denied = await rootless([
      'run',
      '-u',
      '0',
      '--cap-drop',
      'sys_admin',
      '--',
      'hostname',
      'x',
    ]);
    expect(denied.code).not.toBe(0);
  });

  it.each([
    [['--cap-add', 'cap_foo'], /^rootless: --cap-add: unknown capability "cap_foo"$/],
    [['--cap-drop', 'chown,'], /^rootless: --cap-drop: empty capability name$/],
    [
      ['--cap-add', 'ALL', '--cap-drop', 'all'],
      /--cap-add ALL and --cap-drop ALL cannot be combined/,
    ],
    [['--cap-add', 'kill', '--cap-drop', 'KILL'], /CAP_KILL cannot be both added/],
    [
      ['--security-opt', 'apparmor=unconfined'],
      /^rootless: --security-opt: "apparmor=unconfined" is not supported/,
    ],
  ])('%j: one line, 125, nothing left behind', async (args, line) => {
    const before = snapshot(user, bb.dir);
    const marker = join(bb.dir, 'ran');
    const r = await rootless(['run', ...args, '--', 'touch', marker]);
    expect(r.code).toBe(125);
    expectOneLine(r.stderr, line);
    expect(existsSync(marker)).toBe(false);
    await expectNoLeftovers(before, user, bb.dir);
  });
});
