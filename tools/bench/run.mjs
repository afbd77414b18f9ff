#!/usr/bin/env node
// Start-up benchmark of the `rootless` command: `rootless run --root <busybox root> true` (and its
// variants: no network, pasta, seccomp off, an image) against `node -e 0`, bubblewrap, crun,
// runc and podman (--rootfs, and with pasta), where installed. Every command runs interleaved
// (A B C … A B C …), so drift touches them alike; prints medians, peak memory and ratios to
// `node -e 0` and to bwrap. Not a test: it asserts nothing. Run it as an unprivileged user with
// subordinate ids, after `npm run build`:
//
//   runuser -u rootless-test -- node tools/bench/run.mjs [--runs 15]
//
// A variant whose option this build does not have yet is listed as skipped, with the reason.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cleanUp,
  interleave,
  machineLine,
  median,
  printTable,
  requireGnuTime,
  shebangFlags,
  which,
} from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '../../apps/demo/dist/cli.js');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;

if (!existsSync(cli)) {
  console.error(`bench: ${cli} is missing: run npm run build first`);
  process.exit(1);
}
requireGnuTime();

const work = mkdtempSync(join(tmpdir(), 'rootless-bench-'));
const root = join(work, 'rootfs');
// Images live in a store of the benchmark's own, removed at the end.
const env = { ...process.env, XDG_DATA_HOME: join(work, 'data') };
execFileSync(process.execPath, [cli, 'rootfs', 'busybox', root], { stdio: 'ignore' });
const image = `oci:${join(work, 'layout')}:bench`;
const imageReady = (() => {
  const r = spawnSync(
    process.execPath,
    [cli, 'rootfs', 'busybox', '--image', image, join(work, 'img-root')],
    {
      encoding: 'utf8',
      env,
    },
  );
  if (r.status !== 0) return `rootfs --image: ${r.stderr.trim().split('\n').pop()}`;
  const p = spawnSync(process.execPath, [cli, 'pull', image], { encoding: 'utf8', env });
  return p.status === 0 ? true : `pull: ${p.stderr.trim().split('\n').pop()}`;
})();

/** A rootless OCI bundle of the same root filesystem, from `<runtime> spec --rootless`. */
function ociBundle(runtime) {
  const bundle = join(work, `bundle-${runtime}`);
  mkdirSync(bundle);
  execFileSync(runtime, ['spec', '--rootless'], { cwd: bundle });
  const specPath = join(bundle, 'config.json');
  const spec = JSON.parse(execFileSync('cat', [specPath], { encoding: 'utf8' }));
  spec.root = { path: root, readonly: false };
  spec.process.args = ['true'];
  spec.process.terminal = false;
  // No network namespace for anyone (rootless and bwrap keep the host's): sysfs is then bound.
  spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'network');
  spec.mounts = spec.mounts.map((m) =>
    m.type === 'sysfs'
      ? {
          destination: '/sys',
          type: 'none',
          source: '/sys',
          options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
        }
      : m,
  );
  writeFileSync(specPath, JSON.stringify(spec));
  return bundle;
}

// As the `rootless` bin runs: with the Node flags of its shebang (`#!/usr/bin/env -S node
// --single-threaded …`, which lets `run` start the container from the CLI process itself);
// `node cli.js` without them goes through a launcher.
const SHEBANG_FLAGS = shebangFlags(cli);
const NODE = [process.execPath, ...SHEBANG_FLAGS];
const rootless = (name, ...opts) => ({
  name,
  env,
  argv: () => [...NODE, cli, 'run', ...opts, '--root', root, '--', 'true'],
});

const cases = [
  { name: 'node -e 0', argv: () => [process.execPath, '-e', '0'] },
  rootless('rootless run'),
  rootless('rootless run --network none', '--network', 'none'),
  rootless('rootless run --network pasta', '--network', 'pasta'),
  rootless('rootless run, seccomp unconfined', '--security-opt', 'seccomp=unconfined'),
  {
    name: 'rootless run IMAGE',
    env,
    available: () => imageReady,
    argv: () => [...NODE, cli, 'run', '--rm', '--network', 'none', image, 'true'],
  },
  {
    name: 'rootless run, through a launcher',
    env,
    argv: () => [process.execPath, cli, 'run', '--root', root, '--', 'true'],
  },
  {
    name: 'bwrap',
    available: () => which('bwrap') !== undefined || 'not installed',
    argv: () => [
      'bwrap',
      '--unshare-user',
      '--unshare-pid',
      '--unshare-uts',
      '--unshare-ipc',
      '--bind',
      root,
      '/',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--ro-bind',
      '/sys',
      '/sys',
      'true',
    ],
  },
  ...['crun', 'runc'].map((runtime) => ({
    name: `${runtime} run`,
    available: () => which(runtime) !== undefined || 'not installed',
    prepare() {
      this.bundle = ociBundle(runtime);
      this.state = join(work, `${runtime}-state`);
      this.n = 0;
    },
    argv() {
      return [
        runtime,
        '--root',
        this.state,
        ...(runtime === 'crun' ? ['--cgroup-manager=disabled'] : []),
        'run',
        '-b',
        this.bundle,
        `bench-${process.pid}-${this.n++}`,
      ];
    },
  })),
  ...[
    ['podman run --rootfs', 'host'],
    ['podman run --rootfs --network pasta', 'pasta'],
  ].map(([name, net]) => ({
    name,
    available: () => which('podman') !== undefined || 'not installed',
    argv: () => [
      'podman',
      'run',
      '--rm',
      '--network',
      net,
      '--cgroups',
      'disabled',
      '--rootfs',
      root,
      'true',
    ],
  })),
];

/**
 * The memory of `node -e 0` and of the `rootless` process itself (the largest of a run), read at
 * exit by a preloaded script: peak RSS, and its anonymous and file-backed parts. Medians of 5.
 */
function memoryAtExit() {
  const report = join(work, 'memory.jsonl');
  const preload = resolve(here, 'memory-at-exit.cjs');
  const rows = [];
  for (const [name, args] of [
    ['node -e 0', ['-e', '0']],
    ['rootless run', [...SHEBANG_FLAGS, cli, 'run', '--root', root, '--', 'true']],
  ]) {
    const samples = [];
    for (let i = 0; i < 5; i++) {
      rmSync(report, { force: true });
      const r = spawnSync(process.execPath, ['-r', preload, ...args], {
        cwd: work,
        env: { ...env, ROOTLESS_BENCH_MEMORY: report },
        stdio: 'ignore',
      });
      if (r.status !== 0) return [`${name}: exited with ${r.status ?? r.signal}`];
      samples.push(JSON.parse(readFileSync(report, 'utf8').trim().split('\n')[0]));
    }
    const mib = (k) => `${(median(samples.map((s) => s[k])) / 1024).toFixed(1)} MiB`;
    rows.push(`| ${name} | ${mib('hwm')} | ${mib('anon')} | ${mib('file')} |`);
  }
  return rows;
}

let out;
let memory;
try {
  out = await interleave(cases, { runs: RUNS, cwd: work });
  memory = memoryAtExit();
} finally {
  cleanUp(work);
}

console.log(`\n${machineLine()}; ${RUNS} interleaved rounds, medians\n`);
for (const n of out.notes) console.log(`note: ${n}`);
console.log();
printTable(out.results, ['node -e 0', 'bwrap']);

console.log('\nMemory of the process itself, at exit (medians of 5):\n');
console.log('| command | peak RSS | anonymous (RssAnon) | file-backed (RssFile) |');
console.log('| --- | ---: | ---: | ---: |');
for (const row of memory) console.log(row);
