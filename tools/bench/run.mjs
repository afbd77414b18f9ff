#!/usr/bin/env node
// Start-up benchmark: `rootless run --root <busybox root> true` against bubblewrap, crun (a
// rootless OCI bundle of the same root filesystem) and podman (--rootfs), where installed.
// Prints the median wall time and the peak resident memory of each, and the ratios to rootless.
// Not a test. Run it as an unprivileged user with subordinate ids (as root, rootless and podman
// fall back to other modes), after `npm run build`:
//
//   runuser -u rootless-test -- node tools/bench/run.mjs [--runs 20]
//
// Peak memory is GNU time's %M: the largest maximum resident set size among the processes the
// command waited for (the biggest single process, not a sum): for rootless that is the CLI or the
// launcher (both Node), for podman its Go binary.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '../../apps/demo/dist/cli.js');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const WARMUP = 2;

if (!existsSync(cli)) {
  console.error(`bench: ${cli} is missing: run npm run build first`);
  process.exit(1);
}
if (!existsSync('/usr/bin/time')) {
  console.error('bench: /usr/bin/time is missing (apt-get install time)');
  process.exit(1);
}
const which = (name) => {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

const work = mkdtempSync(join(tmpdir(), 'rootless-bench-'));
const root = join(work, 'rootfs');
execFileSync(process.execPath, [cli, 'rootfs', 'busybox', root], { stdio: 'ignore' });

/** Runs argv once under /usr/bin/time: wall milliseconds and peak RSS in KiB. */
function once(argv, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'peak-kib=%M', ...argv], {
    encoding: 'utf8',
    env: env ?? process.env,
    cwd: work,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = r.stderr.match(/peak-kib=(\d+)/);
  if (r.status !== 0 || !m) {
    throw new Error(
      `${argv.join(' ')} failed (${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  return { ms, kib: Number(m[1]) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

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

const tools = [
  {
    name: 'rootless run',
    available: () => true,
    argv: () => [process.execPath, cli, 'run', '--root', root, '--', 'true'],
  },
  {
    name: 'bwrap',
    available: () => which('bwrap'),
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
  {
    name: 'crun run',
    available: () => which('crun'),
    prepare() {
      this.bundle = ociBundle('crun');
      this.state = join(work, 'crun-state');
      this.n = 0;
    },
    argv() {
      return [
        'crun',
        '--root',
        this.state,
        '--cgroup-manager=disabled',
        'run',
        '-b',
        this.bundle,
        `bench-${process.pid}-${this.n++}`,
      ];
    },
  },
  {
    // runc: the same rootless bundle (crun refuses hybrid cgroup v1/v2 hosts, even without cgroups).
    name: 'runc run',
    available: () => which('runc'),
    prepare() {
      this.bundle = ociBundle('runc');
      this.state = join(work, 'runc-state');
      this.n = 0;
    },
    argv() {
      return [
        'runc',
        '--root',
        this.state,
        'run',
        '-b',
        this.bundle,
        `bench-${process.pid}-${this.n++}`,
      ];
    },
  },
  {
    name: 'podman run',
    available: () => which('podman'),
    argv: () => [
      'podman',
      'run',
      '--rm',
      '--network',
      'host',
      '--cgroups',
      'disabled',
      '--rootfs',
      root,
      'true',
    ],
  },
  {
    // Where crun cannot run (hybrid cgroups), podman with runc; runc refuses `--cgroups
    // disabled`, and rootless podman on cgroup v1 makes no cgroup anyway.
    name: 'podman run (runc)',
    available: () => which('podman') && which('runc'),
    argv: () => [
      'podman',
      '--runtime',
      'runc',
      'run',
      '--rm',
      '--network',
      'host',
      '--rootfs',
      root,
      'true',
    ],
  },
];

const results = [];
try {
  for (const tool of tools) {
    if (!tool.available()) {
      console.log(`note: ${tool.name} skipped: not installed`);
      continue;
    }
    try {
      tool.prepare?.();
      for (let i = 0; i < WARMUP; i++) once(tool.argv());
      const samples = [];
      for (let i = 0; i < RUNS; i++) samples.push(once(tool.argv()));
      results.push({
        name: tool.name,
        ms: median(samples.map((s) => s.ms)),
        kib: Math.max(...samples.map((s) => s.kib)),
      });
    } catch (e) {
      console.log(`note: ${tool.name} skipped: ${e.message}`);
    }
  }
} finally {
  // Rootless podman keeps a pause process (catatonit) holding its user namespace: it would
  // outlive the benchmark (and trip the end-to-end tests' leftover checks). Stop it.
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: a script run by hand, not a turbo task
  const runtimeDir = process.env.XDG_RUNTIME_DIR ?? `/tmp/podman-run-${process.getuid()}`;
  const pausePid = join(runtimeDir, 'libpod/tmp/pause.pid');
  if (existsSync(pausePid)) spawnSync('sh', ['-c', `kill "$(cat '${pausePid}')" 2>/dev/null`]);
  spawnSync('sh', [
    '-c',
    `rm -rf "${work}" 2>/dev/null || unshare --map-auto --map-root-user rm -rf "${work}"`,
  ]);
  if (existsSync(work)) rmSync(work, { recursive: true, force: true });
}

const base = results.find((r) => r.name === 'rootless run');
console.log(
  `\n${RUNS} runs each (after ${WARMUP} warm-up runs), uid ${process.getuid()}, node ${process.version}\n`,
);
console.log(
  '| command | median wall time | peak RSS (largest process) | time vs rootless | memory vs rootless |',
);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.ms.toFixed(1)} ms | ${(r.kib / 1024).toFixed(1)} MiB | ${(r.ms / base.ms).toFixed(2)}× | ${(r.kib / base.kib).toFixed(2)}× |`,
  );
}
