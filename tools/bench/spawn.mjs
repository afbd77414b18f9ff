#!/usr/bin/env node
// Library benchmark: spawn() of /bin/true in user+mnt+pid+uts+ipc namespaces with the
// subordinate mapping, from one Node process, against `bwrap --unshare-all true` and
// `node -e 0`, interleaved (one of each per round). Three ways to spawn:
//   - no pool: every spawn starts its own launcher;
//   - steady rate: a pool, spawns back to back with no pause, so a pool that only helps after
//     a rest shows it;
//   - warm pool: the pool is refilled (untimed) before each spawn.
//   (a pooled launcher serves spawn after spawn: the steady rate reuses the same two, the warm
//   pool's one has said it is ready again.)
// Then 50 concurrent spawns, twice: through a pool of 4 launchers (they take turns) and without
// a pool (50 launchers); all must exit 0; the event loop's delay (p50, p99, max) while they
// start. Not a test; it prints figures. As an unprivileged user with subordinate ids, after a
// build:
//
//   runuser -u rootless-test -- node tools/bench/spawn.mjs [--runs 30] [--burst-pool 4]
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createLauncherPool, rootlessIdMap, spawn } from '@rootless-ts/namespaces';
import { interleave, machineLine, printTable, which } from './lib.mjs';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
const namespaces = ['user', 'mnt', 'pid', 'uts', 'ipc'];
const { plan, idmap } = rootlessIdMap();

async function spawnTrue(extra = {}) {
  const p = await spawn({ argv: ['/bin/true'], namespaces, idmap, stdio: 'ignore', ...extra });
  const status = await p.exited;
  if (status.code !== 0) throw new Error(`spawn exited ${JSON.stringify(status)}`);
}

function command(argv) {
  return () => {
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal})`);
  };
}

const steadyPool = createLauncherPool({ size: 2 });
const warmPool = createLauncherPool({ size: 1 });
await Promise.all([steadyPool.ready(), warmPool.ready()]);

const cases = [
  { name: 'node -e 0', run: command([process.execPath, '-e', '0']) },
  { name: 'spawn, no pool', run: () => spawnTrue() },
  { name: 'spawn, pool, steady rate', run: () => spawnTrue({ pool: steadyPool }) },
  {
    name: 'spawn, warm pool',
    // The refill is not timed: only the spawn itself.
    run: async () => {
      await warmPool.ready();
      const t0 = process.hrtime.bigint();
      await spawnTrue({ pool: warmPool });
      return { ms: Number(process.hrtime.bigint() - t0) / 1e6 };
    },
  },
  {
    name: 'bwrap --unshare-all',
    available: () => which('bwrap') !== undefined || 'not installed',
    run: command(['bwrap', '--unshare-all', '--ro-bind', '/', '/', '/bin/true']),
  },
];

const out = await interleave(cases, { runs: RUNS, warmup: 3 });

// 50 at once from this process, with the event loop's delay measured while they start.
const N = 50;
const burstArg = process.argv.indexOf('--burst-pool');
const BURST_POOL = burstArg > 0 ? Number(process.argv[burstArg + 1]) : 4;

async function burst(pool) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = process.hrtime.bigint();
  const statuses = await Promise.allSettled(
    Array.from({ length: N }, async () => {
      const p = await spawn({ argv: ['/bin/true'], namespaces, idmap, stdio: 'ignore', pool });
      return p.exited;
    }),
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  h.disable();
  const ok = statuses.filter((s) => s.status === 'fulfilled' && s.value.code === 0).length;
  const failures = statuses
    .filter((s) => !(s.status === 'fulfilled' && s.value.code === 0))
    .map((s) =>
      s.status === 'rejected' ? String(s.reason?.message ?? s.reason) : JSON.stringify(s.value),
    );
  const f = (x) => (x / 1e6).toFixed(1);
  return {
    line: `${ok}/${N} exited 0 in ${ms.toFixed(0)} ms; event loop delay p50 ${f(h.percentile(50))} ms, p99 ${f(h.percentile(99))} ms, max ${f(h.max)} ms`,
    failures,
  };
}

const burstPool = createLauncherPool({ size: BURST_POOL });
await burstPool.ready();
const pooledBurst = await burst(burstPool);
await burstPool.close();
const ownBurst = await burst(undefined);
await steadyPool.close();
await warmPool.close();

console.log(`\n${machineLine()}; ${plan.mode} mapping; ${RUNS} interleaved rounds, medians\n`);
for (const n of out.notes) console.log(`note: ${n}`);
printTable(out.results, ['node -e 0', 'bwrap --unshare-all'], { memory: false });
console.log(`\n${N} concurrent spawns, pool of ${BURST_POOL}: ${pooledBurst.line}`);
for (const f of new Set(pooledBurst.failures)) console.log(`  failed: ${f}`);
console.log(`${N} concurrent spawns, no pool: ${ownBurst.line}`);
for (const f of new Set(ownBurst.failures)) console.log(`  failed: ${f}`);
