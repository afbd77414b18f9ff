import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeTree, runAs, userTempDir } from '@rootless-ts/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRoot, CLI, hostEnv, user } from './helpers.js';

// What `rootless run` loads of Node's own modules, as its bin runs (the shebang's Node flags).
// Each of these costs milliseconds of every start (node:net with node:stream about 6 ms,
// node:crypto 8) and none is needed to start a container: they load on first use. node:module
// loads Node's ES module loader (6.5 ms; koffi's own entry requires it, hence
// src/koffi-native.ts), and resolving a package's exports loads the ES module resolver. A
// structural check, not a timing: it fails when an import brings one back.
const NOT_LOADED = [
  'net',
  'child_process',
  'dgram',
  'tty',
  'stream',
  'crypto',
  'zlib',
  'v8',
  'module',
  'internal/modules/esm/loader',
  'internal/modules/esm/resolve',
];

const shebangFlags = () => {
  const words = readFileSync(CLI, 'utf8').split('\n', 1)[0]!.split(/\s+/);
  return words.slice(words.indexOf('node') + 1);
};

let bb: Awaited<ReturnType<typeof busyboxRoot>>;
let dir: string;
beforeAll(async () => {
  bb = await busyboxRoot();
  dir = userTempDir(user, 'rootless-startup-');
  writeFileSync(
    join(dir, 'modules.cjs'),
    "process.on('exit', () => require('fs').writeFileSync(process.env.MODULES_OUT, [...process.moduleLoadList, ...Object.keys(require.cache).map((f) => 'File ' + f)].join('\\n')));\n",
    { mode: 0o644 },
  );
}, 60_000);
afterAll(() => {
  bb?.cleanup();
  if (dir) removeTree(dir);
});

/** Node's own modules that `rootless ARGS` loaded, and the built files (`File /…/dist/x.js`). */
async function loadedBy(args: string[], status = 0): Promise<string[]> {
  const out = join(dir, `modules-${args.join('-').replace(/\W+/g, '_')}.txt`);
  const r = await runAs(
    user,
    process.execPath,
    [...shebangFlags(), '-r', join(dir, 'modules.cjs'), CLI, ...args],
    { env: { ...hostEnv(), MODULES_OUT: out }, timeoutMs: 60_000 },
  );
  if (status === 0) expect(r.stderr).toBe('');
  expect(r.code).toBe(status);
  const lines = readFileSync(out, 'utf8').split('\n');
  return [
    ...lines
      .filter((l) => l.startsWith('NativeModule '))
      .map((l) => l.slice('NativeModule '.length)),
    ...lines.filter((l) => l.startsWith('File ')),
  ];
}

/** The built file that holds commander (and the program defined with it). */
const commanderChunk = (loaded: string[]) =>
  loaded.filter((l) => /^File .*[\\/]program-[\w-]+\.js$/.test(l));

describe('what rootless run loads', () => {
  it.each([
    ['--network none', ['--network', 'none']],
    ['pasta, the default', []],
  ])(
    '%s: none of node:net, child_process, tty, stream, crypto, zlib, v8, module, the ES module loader',
    async (_, opts) => {
      const loaded = await loadedBy(['run', ...opts, '--root', bb.root, '--', 'true']);
      // The check itself works: the list is Node's, with fs and path in it.
      expect(loaded).toContain('fs');
      expect(loaded.filter((m) => NOT_LOADED.includes(m))).toEqual([]);
    },
  );
});

describe('commander', () => {
  it('is not loaded by a plain run command line (src/fast-run.ts reads it)', async () => {
    const loaded = await loadedBy(['run', '--network', 'none', '--root', bb.root, '--', 'true']);
    expect(loaded.some((l) => /^File .*[\\/]main-[\w-]+\.js$/.test(l))).toBe(true);
    expect(commanderChunk(loaded)).toEqual([]);
  });

  it('is loaded for help and for a usage error (the check itself works)', async () => {
    expect(commanderChunk(await loadedBy(['run', '--help']))).toHaveLength(1);
    expect(commanderChunk(await loadedBy(['run', '--bogus', 'true'], 125))).toHaveLength(1);
  });
});

describe('the built files', () => {
  it('are ASCII only: V8 keeps a source with any other character at two bytes per character', () => {
    const dist = dirname(CLI);
    const files = readdirSync(dist).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(5);
    const offending = files.filter((f) =>
      /[^\x00-\x7f]/.test(readFileSync(join(dist, f), 'latin1')),
    );
    expect(offending).toEqual([]);
  });
});
