#!/usr/bin/env node
// Image benchmark: `rootless pull` of an image from a local registry (Debian's docker-registry
// on 127.0.0.1, started here), then the first and a later `rootless run IMAGE true`, against
// `podman pull` and `podman run` of the same image from the same registry. Each round pulls into
// an empty store (rootless: its own $XDG_DATA_HOME; podman: its own --root/--runroot), so the
// pull is a full download and extraction; rounds are interleaved (rootless, podman, rootless,
// podman, …) so drift touches both alike. Not a test: it asserts nothing. As an unprivileged
// user with subordinate ids, after `npm run build`:
//
//   runuser -u rootless-test -- node tools/bench/image.mjs [--runs 5] [--image busybox|features]
//     [--from oci:LAYOUT:TAG] [--runtime PATH]
//
// `busybox` is testkit's three-layer busybox image (about 1 MB); `features` (the default) adds
// a 51 MiB file, a hard link, a setuid file and an opaque directory. Both run with `--network
// none` (the network set-up is measured by run.mjs). podman runs with `--cgroups disabled`; on a
// host with cgroups in hybrid mode (v1 controllers, a v2 hierarchy) crun still refuses ("cgroups
// in hybrid mode not supported"), and runc (`--runtime /usr/sbin/runc`) refuses rootless
// podman's no-cgroups mode ("not compatible with NoCgroups"): the podman run rows then say
// failed, with the reason as a note, and the pull row still compares.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanUp, machineLine, median, shebangFlags, which } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '../../apps/demo/dist/cli.js');
const testkit = resolve(here, '../../packages/testkit/dist/index.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const RUNS = Number(arg('--runs', '5'));
const WHICH = arg('--image', 'features');
// `--from oci:DIR:TAG`: push that image instead (e.g. one `rootless rootfs debian DIR --image
// oci:LAYOUT:debian` wrote: the debootstrap image).
const FROM = arg('--from', undefined);
// testkit's images have /bin/busybox and no applet links; a Debian image has true.
const TRUE = FROM ? ['true'] : ['/bin/busybox', 'true'];

for (const f of [cli, testkit]) {
  if (!existsSync(f)) {
    console.error(`bench: ${f} is missing: run npm run build first`);
    process.exit(1);
  }
}
const { buildFeatureImage, buildTestImages, skopeoCopy, startRegistry, testUser } = await import(
  testkit
);

const work = mkdtempSync(join(tmpdir(), 'rootless-bench-image-'));
const user = testUser();
const images = await buildTestImages(user, work);
const tag = FROM
  ? 'from'
  : WHICH === 'busybox'
    ? images.tag
    : (await buildFeatureImage(user, images)).tag;
const registry = await startRegistry(user);
const ref = `${registry.host}/bench/${tag}:1`;
await skopeoCopy(user, FROM ?? `oci:${images.layout}:${tag}`, `docker://${ref}`);

const notes = new Set();
/** Wall milliseconds of one command, or NaN (and a note) when it fails. */
function timed(argv, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env, cwd: work });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) {
    notes.add(
      `${argv[0] === process.execPath ? 'rootless' : argv[0]} ${argv.includes('pull') ? 'pull' : 'run'} failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-1)[0]}`,
    );
    return Number.NaN;
  }
  return ms;
}

// `--runtime PATH` for podman (default: its own choice, crun here).
const runtime = arg('--runtime', undefined);
const podmanRuntime = runtime ? ['--runtime', runtime] : [];
// podman's caches and config (blob-info cache, cni) in the benchmark's directory, not the home.
const podmanEnv = {
  ...process.env,
  XDG_DATA_HOME: join(work, 'podman-xdg', 'data'),
  XDG_CONFIG_HOME: join(work, 'podman-xdg', 'config'),
};
const tools = {
  rootless: (round) => {
    const env = { ...process.env, XDG_DATA_HOME: join(work, `rootless-${round}`) };
    const run = [
      process.execPath,
      ...shebangFlags(cli),
      cli,
      'run',
      '--network',
      'none',
      ref,
      ...TRUE,
    ];
    return [timed([process.execPath, cli, 'pull', ref], env), timed(run, env), timed(run, env)];
  },
  podman: (round) => {
    const env = podmanEnv;
    const base = [
      'podman',
      '--root',
      join(work, `podman-${round}`, 'root'),
      '--runroot',
      join(work, `podman-${round}`, 'run'),
      '--cgroup-manager',
      'cgroupfs',
      ...podmanRuntime,
    ];
    const run = [
      ...base,
      'run',
      '--rm',
      '--cgroups',
      'disabled',
      '--network',
      'none',
      ref,
      ...TRUE,
    ];
    return [
      timed([...base, 'pull', '--quiet', '--tls-verify=false', ref], env),
      timed(run, env),
      timed(run, env),
    ];
  },
};

const samples = { rootless: [], podman: [] };
const live = Object.keys(tools).filter((t) => t === 'rootless' || which(t));
try {
  for (let round = 0; round < RUNS; round++) {
    for (const t of live) {
      samples[t].push(tools[t](round));
    }
  }
} finally {
  await registry.stop();
  // podman's storage holds files of subordinate ids: reset it before the rest goes.
  for (let round = 0; round < RUNS; round++) {
    const dir = join(work, `podman-${round}`);
    if (existsSync(dir)) {
      spawnSync(
        'podman',
        ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), 'system', 'reset', '--force'],
        { stdio: 'ignore', env: podmanEnv },
      );
    }
  }
  cleanUp(work);
}

console.log(
  `\n${machineLine()}; image ${FROM ?? tag}; ${RUNS} interleaved rounds, medians in ms\n`,
);
for (const n of notes) console.log(`note: ${n}`);
const phases = ['pull', 'first run', 'later run'];
console.log('| step | rootless | podman | rootless / podman |');
console.log('| --- | ---: | ---: | ---: |');
const med = (xs) => {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? median(ok) : Number.NaN;
};
phases.forEach((p, i) => {
  const r = med(samples.rootless.map((s) => s[i]));
  const q = med(samples.podman.map((s) => s[i]));
  console.log(
    `| ${p} | ${Number.isNaN(r) ? 'failed' : r.toFixed(0)} | ${Number.isNaN(q) ? 'failed' : q.toFixed(0)} | ${Number.isNaN(q) || Number.isNaN(r) ? '' : (r / q).toFixed(2)} |`,
  );
});
