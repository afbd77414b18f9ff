import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  listProcesses,
  mountTable,
  removeTree,
  STANDARD_PATH,
  type TestUser,
  testUser,
  userTempDir,
} from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../src/index.js';
import { buildBusyboxRoot, chown } from './helpers/rootfs.js';
import { runPlan } from './helpers/run.js';

// End-to-end attack: a hostile image swaps its /proc, /sys and a volume's target with symlinks
// (renameat2 RENAME_EXCHANGE in a loop, from the host side, as the test user) while containers
// start. Every start must either fail with a clear error, or end with every mask and read-only
// path applied to the mount that was made: never a proc without its masks.

const STARTS = 300;
const SWAP_C = fileURLToPath(new URL('./fixtures/swap.c', import.meta.url));

let user: TestUser;
let dir: string;
let root: string;
let swapper: ChildProcess | undefined;
let swapped = '';
let mountsBefore: string[];

/** The swapped pairs: the image's directory, and a symlink aiming out of the root. */
const PAIRS = [
  ['proc', 'decoy-proc'],
  ['sys', 'decoy-sys'],
  ['data', 'decoy-data'],
] as const;

beforeAll(async () => {
  user = testUser();
  mountsBefore = mountTable();
  dir = userTempDir(user, 'rootless-swap-');
  root = buildBusyboxRoot(join(dir, 'root'), user);
  mkdirSync(join(root, 'data'));
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'outside/victim'), 'original\n');
  mkdirSync(join(dir, 'vol'));
  writeFileSync(join(dir, 'vol/secret'), 'host secret\n');
  // Each link climbs out of the root: resolved inside it, it leads nowhere (a missing /outside).
  for (const [, link] of PAIRS) symlinkSync('../outside', join(root, link));
  chown(dir, user);
  const bin = join(dir, 'swap');
  try {
    execFileSync('gcc', ['-static', '-O2', '-o', bin, SWAP_C], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(
      `cannot build the swap fixture with gcc -static (install gcc and libc6-dev, tools/setup-host.sh does): ${(e as Error).message}`,
    );
  }
  chown(bin, user);
  const args = PAIRS.flatMap(([a, b]) => [join(root, a), join(root, b)]);
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: STANDARD_PATH },
    ...(process.getuid!() === 0 ? { uid: user.uid, gid: user.gid } : {}),
  });
  swapper = child;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    swapped += d;
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`swap exited early (${code})`)));
    const wait = () => (swapped.includes('ready\n') ? resolve() : setTimeout(wait, 10));
    wait();
  });
});

afterAll(async () => {
  if (swapper && swapper.exitCode === null) {
    const exited = new Promise((r) => swapper!.once('exit', r));
    swapper.kill('SIGTERM');
    await exited;
  }
  expect(mountTable()).toEqual(mountsBefore);
  expect(listProcesses().filter((p) => p.command.includes(dir))).toEqual([]);
  removeTree(dir);
});

interface MountLine {
  id: string;
  parent: string;
  point: string;
  options: string;
  fstype: string;
}

function parseMountinfo(text: string): MountLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [left, right] = line.split(' - ');
      const f = left!.split(' ');
      return {
        id: f[0]!,
        parent: f[1]!,
        point: f[4]!,
        options: f[5]!,
        fstype: right!.split(' ')[0]!,
      };
    });
}

/** Names of the defaults below top that this host has (masks of absent paths are skipped). */
function hostNames(list: readonly string[], top: string): string[] {
  return list
    .filter((p) => p.startsWith(`${top}/`) && existsSync(p))
    .map((p) => p.slice(top.length + 1));
}

/** A check that retries across both names of a swapped pair (`$p` is the one tried). */
function find(what: string, top: string, cmd: string): string {
  return (
    `r=; for i in $(seq 400); do for p in /${top} /decoy-${top}; do ` +
    `r=$(${cmd} 2>/dev/null) && break 2; done; done; echo "${what} $r"`
  );
}

/** How a masked path looks: /dev/null (char 1,3) over a file, an empty tmpfs over a directory. */
function maskCheck(top: string, name: string, hostPath: string): [string, string] {
  return lstatSync(hostPath).isDirectory()
    ? [find(name, top, `test -d $p/${name} && stat -f -c %T $p/${name}`), `${name} tmpfs`]
    : [find(name, top, `stat -c %t,%T $p/${name}`), `${name} 1,3`];
}

/** The script run in the container, and the lines it must print. */
function checks(procMasks: string[], sysMasks: string[]): { script: string; expected: string[] } {
  const all = [
    ...procMasks.map((n) => maskCheck('proc', n, `/proc/${n}`)),
    ...sysMasks.map((n) => maskCheck('sys', n, `/sys/${n}`)),
    maskCheck('data', 'secret', join(dir, 'vol/secret')),
  ];
  return {
    script: [
      // Mountinfo, through whichever name is the real proc at that moment.
      'for i in $(seq 400); do cat /proc/self/mountinfo 2>/dev/null && break; cat /decoy-proc/self/mountinfo 2>/dev/null && break; done',
      ...all.map(([cmd]) => cmd),
      find(
        'procsys',
        'proc',
        // Only a definite answer counts: a lookup that met the symlink meanwhile is retried.
        'o=$( (echo x > $p/sys/kernel/hostname) 2>&1 ); case $o in *nonexistent*|*"No such"*) false;; *) echo "$o";; esac',
      ),
    ].join('\n'),
    expected: all.map(([, line]) => line),
  };
}

describe('an image swapping /proc, /sys and a volume target with symlinks during the start', () => {
  it(`never gives an unmasked proc or sys in ${STARTS} starts, and the host is unchanged`, async () => {
    const procMasks = hostNames(DEFAULT_MASKED_PATHS, '/proc');
    const procReadonly = hostNames(DEFAULT_READONLY_PATHS, '/proc');
    const sysMasks = hostNames(DEFAULT_MASKED_PATHS, '/sys');
    const { script, expected } = checks(procMasks, sysMasks);
    const failures = new Map<string, number>();
    let started = 0;
    for (let n = 0; n < STARTS; n++) {
      const r = await runPlan(user, {
        options: {
          root,
          volumes: [{ source: join(dir, 'vol'), target: '/data', readonly: true }],
          maskedPaths: [...DEFAULT_MASKED_PATHS, '/data/secret'],
        },
        checks: { inside: script },
      });
      if (!r.ok) {
        // A start may fail (its target was a symlink at that moment): one clear error, naming
        // the target, and nothing left behind (the afterAll checks the host).
        const key = `${r.error?.op} ${r.error?.path} ${r.error?.code}`;
        failures.set(key, (failures.get(key) ?? 0) + 1);
        expect(r.error?.name).toBe('MountError');
        expect(['ELOOP', 'EEXIST']).toContain(r.error?.code);
        expect(['/proc', '/sys', '/data']).toContain(r.error?.path);
        continue;
      }
      started++;
      const c = r.checks.inside!;
      expect(c.status, c.stderr).toBe(0);
      const lines = c.stdout.trim().split('\n');
      // /dev/null over files, an empty read-only tmpfs over directories, EROFS under /proc/sys.
      for (const line of expected) expect(lines).toContain(line);
      const result = (what: string) => lines.find((l) => l.startsWith(`${what} `));
      expect(result('procsys')).toMatch(/Read-only file system/);
      // The whole picture, by mount ids (whatever names the swaps gave the mount points).
      const mountinfo = lines.filter((l) => /^\d+ \d+ /.test(l)).join('\n');
      const mounts = parseMountinfo(mountinfo);
      const children = (m: MountLine) => mounts.filter((c) => c.parent === m.id);
      // Top mounts of a type (the read-only binds below /proc are proc mounts too).
      const tops = (type: string) =>
        mounts.filter(
          (m) => m.fstype === type && !mounts.some((p) => p.id === m.parent && p.fstype === type),
        );
      const procs = tops('proc');
      expect(procs).toHaveLength(1);
      for (const proc of procs) {
        const below = children(proc);
        for (const name of procMasks) {
          expect(
            below.some((c) => c.point.endsWith(`/${name}`)),
            `proc mask ${name}`,
          ).toBe(true);
        }
        for (const name of procReadonly) {
          const ro = below.find((c) => c.point.endsWith(`/${name}`));
          expect(ro?.options.split(','), `read-only ${name}`).toContain('ro');
        }
      }
      const sys = tops('sysfs');
      expect(sys).toHaveLength(1);
      for (const name of sysMasks) {
        expect(
          children(sys[0]!).some((c) => c.point.endsWith(`/${name}`)),
          `sys mask ${name}`,
        ).toBe(true);
      }
    }
    // The swaps really ran all along, and most starts went through.
    const exited = new Promise((r) => swapper!.once('exit', r));
    swapper!.kill('SIGTERM');
    await exited;
    const count = Number(swapped.replace('ready\n', '').trim());
    expect(count).toBeGreaterThan(STARTS);
    expect(started).toBeGreaterThan(0);
    console.log(
      `swap race: ${count} exchanges, ${started}/${STARTS} started masked, failed: ${JSON.stringify([...failures])}`,
    );
    // The host: the image's directories are back, nothing outside the root changed.
    for (const [name] of PAIRS) expect(lstatSync(join(root, name)).isDirectory()).toBe(true);
    expect(readdirSync(join(dir, 'outside'))).toEqual(['victim']);
    expect(readFileSync(join(dir, 'outside/victim'), 'utf8')).toBe('original\n');
    expect(readFileSync(join(dir, 'vol/secret'), 'utf8')).toBe('host secret\n');
  }, 900_000);
});
