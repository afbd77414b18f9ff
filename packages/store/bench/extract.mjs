// Times a pull of a one-layer image made from a host directory (default /usr/share/doc), against
// GNU tar unpacking the same layer in a user namespace with the same kind of mapping
// (`unshare --map-auto --map-root-user`). Run as a user with subordinate ids:
//   node bench/extract.mjs [DIR]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@rootless-ts/store';

const src = process.argv[2] ?? '/usr/share/doc';
const work = mkdtempSync(join(tmpdir(), 'store-bench-'));
const sha = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const tarPath = join(work, 'layer.tar');
execFileSync('tar', ['-C', src, '--numeric-owner', '-cf', tarPath, '.']);
const plain = readFileSync(tarPath);
execFileSync('gzip', ['-k', '-1', tarPath]);
const layer = readFileSync(`${tarPath}.gz`);
const configBytes = Buffer.from(
  JSON.stringify({
    os: 'linux',
    architecture: 'amd64',
    rootfs: { type: 'layers', diff_ids: [sha(plain)] },
  }),
);
const layers = [
  {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: sha(layer),
    size: layer.length,
  },
];
const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, layers }));
const { Readable } = await import('node:stream');
const source = {
  name: 'localhost/bench:1',
  async resolve() {
    return {
      manifestDigest: sha(manifestBytes),
      manifest: {},
      manifestBytes,
      configDigest: sha(configBytes),
      config: {},
      configBytes,
      layers,
    };
  },
  async fetchBlob() {
    return Readable.from([layer]);
  },
  async close() {},
};
const files = execFileSync('tar', ['-tf', tarPath]).toString().split('\n').length - 1;
const store = openStore({ root: join(work, 'store') });
let t = performance.now();
const marks = {};
await store.pull(source, {
  onProgress: (p) => {
    marks[p.phase] ??= performance.now();
  },
});
const pullMs = performance.now() - t;
mkdirSync(join(work, 'tar'));
t = performance.now();
execFileSync('unshare', [
  '--map-auto',
  '--map-root-user',
  'tar',
  '--numeric-owner',
  '-xzf',
  `${tarPath}.gz`,
  '-C',
  join(work, 'tar'),
]);
const tarMs = performance.now() - t;
await store.remove('localhost/bench:1');
execFileSync('unshare', ['--map-auto', '--map-root-user', 'rm', '-rf', work]);
console.log(
  `${src}: ${files} entries, ${(plain.length / 1e6).toFixed(1)} MB tar, ${(layer.length / 1e6).toFixed(1)} MB gzip`,
);
console.log(`store pull (verify, store blob, extract in userns): ${pullMs.toFixed(0)} ms`);
console.log(
  `  of which download+verify+store ${(marks.extracting - marks.downloading).toFixed(0)} ms, extraction ${(marks.done - marks.extracting).toFixed(0)} ms`,
);
console.log(`unshare --map-auto --map-root-user tar -xzf:         ${tarMs.toFixed(0)} ms`);
