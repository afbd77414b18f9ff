#!/usr/bin/env node
// Median latency of starting `true` in new user+mnt+pid+uts+ipc namespaces and waiting for it,
// with rootless-ts's spawn() (with and without the newuidmap/newgidmap mapping, and with a pool of
// pre-started launchers: back to back, where each spawn's replacement launcher starting competes
// with the next spawns, and with the pool's launchers warm before each spawn), compared with
// `bwrap --unshare-all` and `unshare -Urpfm` where installed. Run it as an unprivileged user
// with subordinate ids:  node packages/namespaces/bench/spawn-latency.mjs [runs]
// It prints figures; it asserts nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createLauncherPool, rootlessIdMap, spawn } from '@rootless-ts/namespaces';

const runs = Number(process.argv[2] ?? 50);
const namespaces = ['user', 'mnt', 'pid', 'uts', 'ipc'];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `prepare` runs before each run, untimed. */
async function time(fn, prepare = async () => {}) {
  for (let i = 0; i < 3; i++) await fn(); // warm-up
  const xs = [];
  for (let i = 0; i < runs; i++) {
    await prepare();
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

function have(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function command(argv) {
  return () => {
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal})`);
  };
}

const { plan, idmap } = rootlessIdMap();
const results = [];
results.push([
  `rootless-ts spawn, ${plan.mode} mapping`,
  await time(async () => {
    const p = await spawn({ argv: ['/bin/true'], namespaces, idmap, stdio: 'ignore' });
    await p.exited;
  }),
]);
results.push([
  'rootless-ts spawn, no mapping',
  await time(async () => {
    const p = await spawn({ argv: ['/bin/true'], namespaces, stdio: 'ignore' });
    await p.exited;
  }),
]);
const pool = createLauncherPool({ size: 2 });
await pool.ready();
results.push([
  `pooled (2) back to back, ${plan.mode}`,
  await time(async () => {
    const p = await spawn({ argv: ['/bin/true'], namespaces, idmap, stdio: 'ignore', pool });
    await p.exited;
  }),
]);
results.push([
  `pooled, launcher warm, ${plan.mode}`,
  await time(
    async () => {
      const p = await spawn({ argv: ['/bin/true'], namespaces, idmap, stdio: 'ignore', pool });
      await p.exited;
    },
    () => pool.ready(),
  ),
]);
results.push([
  'pooled, launcher warm, no mapping',
  await time(
    async () => {
      const p = await spawn({ argv: ['/bin/true'], namespaces, stdio: 'ignore', pool });
      await p.exited;
    },
    () => pool.ready(),
  ),
]);
await pool.close();
results.push([
  'node -e 0 (the launcher floor)',
  await time(command([process.execPath, '--single-threaded', '-e', '0'])),
]);
const others = [];
if (have('bwrap'))
  others.push([
    'bwrap --unshare-all',
    await time(command(['bwrap', '--unshare-all', '--ro-bind', '/', '/', '/bin/true'])),
  ]);
else others.push(['bwrap --unshare-all', null]);
if (have('unshare'))
  others.push(['unshare -Urpfm', await time(command(['unshare', '-Urpfm', '/bin/true']))]);
else others.push(['unshare -Urpfm', null]);

const ours = results[0][1];
console.log(
  `median of ${runs} runs, starting /bin/true and waiting for it (uid ${process.getuid()})`,
);
for (const [name, ms] of [...results, ...others]) {
  if (ms === null) {
    console.log(`${name.padEnd(40)} not installed`);
    continue;
  }
  console.log(
    `${name.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms   ours/this ${(ours / ms).toFixed(2)}x`,
  );
}
