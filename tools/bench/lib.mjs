// Shared by the benchmark scripts: run commands interleaved (A B C A B C …) so that a machine's
// drift (another job, thermal state, page cache) touches every command alike, then print medians
// and ratios. Benchmarks print figures; they assert nothing and are never run as tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** The path of a program on PATH, or undefined. */
export function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function requireGnuTime() {
  if (!existsSync('/usr/bin/time')) {
    console.error('bench: /usr/bin/time is missing (apt-get install time)');
    process.exit(1);
  }
}

/**
 * Runs argv once under GNU time: wall milliseconds (measured here, around the whole command),
 * CPU milliseconds (%U + %S: user and system time of the command and every descendant it
 * waited for, in 10 ms steps), and peak RSS in KiB (%M: the largest maximum resident set size
 * among the processes the command waited for, the biggest single process, not a sum; it
 * counts the pages of the node binary mapped from the page cache, about 34 MiB of a bare
 * `node -e 0`'s 40).
 */
export function once(argv, { env, cwd } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu-s=%U+%S peak-kib=%M', ...argv], {
    encoding: 'utf8',
    env: env ?? process.env,
    cwd,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = r.stderr.match(/cpu-s=([\d.]+)\+([\d.]+) peak-kib=(\d+)\s*$/);
  if (r.status !== 0 || !m) {
    throw new Error(
      `${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  return { ms, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, kib: Number(m[3]) };
}

/**
 * Each case: { name, argv() | run(), prepare?(), available?() → true | reason string }.
 * Cases that are unavailable or fail their first (warm-up) run are reported and left out; the
 * rest run `runs` rounds, one of each per round, in the same order every round.
 */
export async function interleave(cases, { runs, warmup = 2, cwd } = {}) {
  const live = [];
  const notes = [];
  for (const c of cases) {
    const why = c.available ? c.available() : true;
    if (why !== true) {
      notes.push(`${c.name}: skipped: ${why || 'not installed'}`);
      continue;
    }
    try {
      await c.prepare?.();
      for (let i = 0; i < warmup; i++) await runCase(c, cwd);
      live.push({ c, samples: [] });
    } catch (e) {
      notes.push(`${c.name}: skipped: ${e.message}`);
    }
  }
  for (let i = 0; i < runs; i++) {
    for (const l of live) l.samples.push(await runCase(l.c, cwd));
  }
  for (const l of live) await l.c.finish?.();
  return {
    notes,
    results: live.map((l) => ({
      name: l.c.name,
      ms: median(l.samples.map((s) => s.ms)),
      kib: l.samples[0]?.kib === undefined ? undefined : Math.max(...l.samples.map((s) => s.kib)),
      // A mean, not a median: GNU time counts in 10 ms steps, a mean of many runs is finer.
      cpuMs:
        l.samples[0]?.cpuMs === undefined
          ? undefined
          : l.samples.reduce((a, s) => a + s.cpuMs, 0) / l.samples.length,
      samples: l.samples,
    })),
  };
}

async function runCase(c, cwd) {
  if (c.run) {
    const t0 = process.hrtime.bigint();
    const extra = await c.run();
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, ...(extra ?? {}) };
  }
  return once(c.argv(), { cwd, env: c.env });
}

/** A markdown table with each result's ratio to the named baselines (those present). */
export function printTable(results, baselines, { memory = true } = {}) {
  const base = baselines
    .map((n) => results.find((r) => r.name === n))
    .filter((r) => r !== undefined);
  const cpu = results.some((r) => r.cpuMs !== undefined);
  const head = ['command', 'median ms'];
  if (cpu) head.push('mean CPU ms');
  if (memory) head.push('peak RSS');
  for (const b of base) head.push(`× ${b.name}`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
  for (const r of results) {
    const row = [r.name, r.ms.toFixed(1)];
    if (cpu) row.push(r.cpuMs === undefined ? '' : r.cpuMs.toFixed(0));
    if (memory) row.push(r.kib === undefined ? '' : `${(r.kib / 1024).toFixed(1)} MiB`);
    for (const b of base) row.push((r.ms / b.ms).toFixed(2));
    console.log(`| ${row.join(' | ')} |`);
  }
}

export function machineLine() {
  const cpus = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
  const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' })
    .stdout.split(' ')
    .slice(0, 3)
    .join(' ');
  return `${new Date().toISOString().slice(0, 10)}, ${cpus} cores, Linux ${kernel}, node ${process.version}, uid ${process.getuid()}, load ${load}`;
}

/**
 * After a benchmark: stops rootless podman's pause process (catatonit, holding its user
 * namespace: it would outlive the benchmark and trip the end-to-end tests' leftover checks) and
 * removes the work directory, through a user namespace when it holds files of subordinate ids.
 */
export function cleanUp(work) {
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

/**
 * The Node flags of a script's shebang (`#!/usr/bin/env -S node --single-threaded …`): the
 * benchmarks start the `rootless` bin as it runs when executed, with the same Node binary.
 */
export function shebangFlags(script) {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0];
  const words = first.split(/\s+/);
  const node = words.indexOf('node');
  return node >= 0 ? words.slice(node + 1) : [];
}
