import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build as esbuild } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

// commander requires node:child_process as it loads, for executable subcommands only (this CLI
// has none); that also loads node:net, node:dgram and node:stream, about 8 ms of every start.
// Its require gets src/lazy-child-process.cjs instead, which loads the module on first use.
const lazyChildProcessForCommander: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'lazy-child-process-for-commander',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer)
        ? { path: resolve('src/lazy-child-process.cjs') }
        : undefined,
    );
  },
};

// koffi's entry loads node:module (6.5 ms of every start): the bundled packages' `import koffi`
// gets src/koffi-native.ts instead, which loads koffi's native part directly when it can.
const koffiWithoutNodeModule: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'koffi-without-node-module',
  setup(build) {
    build.onResolve({ filter: /^koffi$/ }, (args) =>
      args.importer.endsWith('koffi-native.ts')
        ? { path: 'koffi', external: true }
        : { path: resolve('src/koffi-native.ts') },
    );
  },
};

// V8 keeps each file's source as a string for as long as its functions live, in one byte per
// character only while every character is Latin-1: one typographic character left in a comment
// (esbuild escapes those of strings, not of comments) made two of the largest chunks two bytes
// per character (190 KiB more of every run's heap). Any that remains becomes a \u escape,
// which means the same character in a string, a template, a regular expression or a name, and
// is harmless in a comment.
const asciiOutput: NonNullable<Options['plugins']>[number] = {
  name: 'ascii-output',
  renderChunk(code) {
    if (!/[^\x00-\x7f]/.test(code)) return undefined;
    return {
      code: code.replace(/[^\x00-\x7f]/gu, (c) =>
        c.length === 1
          ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
          : `\\u{${c.codePointAt(0)!.toString(16)}}`,
      ),
    };
  },
};

// The built files minified (whitespace, syntax and names), in place: V8 keeps every loaded
// file's source for as long as its functions live, and each function's names in its scope
// information. 0.6-0.8 MiB less peak memory a run, no slower. esbuild reads each file's source
// map and writes one that goes back to the TypeScript (`node --enable-source-maps`). Error
// classes spell their names out, which minified class names would otherwise change.
// Done here, on tsup's output, rather than with tsup's own `minify`: tsup turns esbuild's output
// into CommonJS chunks afterwards (with sucrase), which breaks on minified classes
// (`super(...),this.x=...`). terser (tsup's `minify: 'terser'`, run last) works, but its output
// took 0.1 MiB more of a run than esbuild's.
async function minifyBuiltFiles(dir: string): Promise<void> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(dir, f));
  await esbuild({
    entryPoints: files,
    outdir: dir,
    allowOverwrite: true,
    minify: true,
    sourcemap: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
}

// One start of `rootless run` loads the CLI in this process and the launcher plus the setup
// hooks in another: each module file costs a resolution, a read and a compile on every start.
// Bundling the workspace packages and commander (koffi stays outside: a native addon) leaves a
// handful of files, and the launcher is built here too, from the namespaces package's build, so
// that it and the hooks share their chunks (one copy of libc and constants in the launcher).
//
// All of it as CommonJS (dist/package.json says so, the files keep their .js names): an ES
// module costs more than its code at start-up. The loader resolves and reads every file
// asynchronously, and `import … from 'node:fs'` builds a facade of all of fs's exports, whose
// lazy getters load Node's whole streams implementation (about 14 ms of CPU in a profile of the
// ES module launcher). Measured in packages/namespaces/README.md (Performance).
export default defineConfig({
  entry: {
    cli: 'src/cli.ts',
    // The launcher requires the hook by path in the container.
    hook: 'src/hook.ts',
    // namespaces' spawn() starts the launcher that sits beside the code that calls it.
    launcher: '../../packages/namespaces/dist/launcher.js',
    // The store runs its helper.js (layer extraction, removal as root in the user namespace)
    // from beside the code that calls it.
    helper: '../../packages/store/dist/helper.js',
    // The network package's setup hook (lo up, sysctls in the new network namespace), found
    // beside the code that plans it.
    setup: '../../packages/network/dist/setup.js',
  },
  format: ['cjs'],
  // Shared chunks, as for ES modules (tsup's own CommonJS splitting).
  splitting: true,
  // import.meta.url in the bundled packages (finding the launcher, the hooks, the helper).
  shims: true,
  outExtension: () => ({ js: '.js' }),
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // koffi stays outside (a native addon that finds its native part relative to its own files:
  // it must stay in node_modules; it is a dependency of libc and of this package), required by
  // src/koffi-native.ts only, which koffiWithoutNodeModule puts in its place.
  noExternal: [/^@rootless-ts\//, 'commander', 'koffi'],
  removeNodeProtocol: false,
  esbuildPlugins: [lazyChildProcessForCommander, koffiWithoutNodeModule],
  plugins: [asciiOutput],
  // `rootless --version` without reading package.json on every start (src/program.ts).
  define: {
    __ROOTLESS_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version),
  },
  onSuccess: async () => {
    // This package is "type": "module"; its built files are CommonJS (which the minifier reads
    // here too).
    writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');
    await minifyBuiltFiles('dist');
  },
});
