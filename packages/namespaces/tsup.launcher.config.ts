import { defineConfig } from 'tsup';

// The launcher is started for every spawn, and its Node start-up is most of a spawn's cost.
// Built as one CommonJS file with the workspace packages inlined: no ES module loader (which
// resolved every import through node_modules and package.json files, read files through
// libuv's thread pool, and took most of the launcher's time before its clone), one file to
// compile. Measured: the README's performance section.
export default defineConfig({
  entry: { launcher: 'src/launcher.ts' },
  format: ['cjs'],
  // The library build (tsup.config.ts) has cleaned dist already.
  clean: false,
  dts: false,
  sourcemap: true,
  target: 'node20',
  shims: true,
  noExternal: [/^@rootless-ts\//],
  // koffi finds its native part relative to its own files: it must stay in node_modules (it is
  // libc's dependency; a missing one fails the launcher with Node's own message).
  external: ['koffi'],
});
