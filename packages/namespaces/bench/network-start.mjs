#!/usr/bin/env node
// Start-up cost of a network: spawns `true` in new namespaces N times per mode, through
// spawn()'s `network` option, and prints the median and the
// quartiles of the time from spawn() to the program's exit and the network's close.
//
//   node bench/network-start.mjs [runs=15] [modes=host,none,pasta,slirp4netns]
//
// Run as an unprivileged user with subordinate ids; build the packages first (npm run build).
import { performance } from 'node:perf_hooks';
import { rootlessIdMap, spawn } from '@rootless-ts/namespaces';

const runs = Number(process.argv[2] ?? 15);
const modes = (process.argv[3] ?? 'host,none,pasta,slirp4netns').split(',');
const { idmap } = rootlessIdMap();

async function once(mode) {
  const t0 = performance.now();
  const p = await spawn({ argv: ['true'], stdio: 'ignore', idmap, network: mode });
  const up = performance.now();
  await p.exited; // the network is closed by then
  return { total: performance.now() - t0, up: up - t0 };
}

const q = (xs, f) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(f * s.length))];
};
console.log(
  `${runs} runs per mode; ms from spawn() to the program running (up) and to exit + close (total)`,
);
for (const mode of modes) {
  await once(mode); // warm-up: file cache, JIT
  const r = [];
  for (let i = 0; i < runs; i++) r.push(await once(mode));
  const up = r.map((x) => x.up);
  const total = r.map((x) => x.total);
  console.log(
    `${mode.padEnd(12)} up median ${q(up, 0.5).toFixed(1)} (q1 ${q(up, 0.25).toFixed(1)}, q3 ${q(up, 0.75).toFixed(1)})  total median ${q(total, 0.5).toFixed(1)}`,
  );
}
