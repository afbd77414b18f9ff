import { defineConfig } from 'tsup';

// What the launcher process loads, again as CommonJS: launcher.cjs, hook.cjs, setup.cjs and
// their shared chunks (spawn() and the planners prefer the .cjs files beside them). An ES module
// costs the launcher more than its code: the loader resolves and reads every file
// asynchronously, and `import … from 'node:fs'` builds a facade of all of fs's exports, whose
// lazy getters load Node's whole streams implementation (about 14 ms of CPU in a profile of the
// ESM launcher). The ESM entries of tsup.config.ts stay, for pooled launchers (they start ahead
// of time). Measured: packages/namespaces/README.md, Performance.
export default defineConfig({
  entry: {
    launcher: '../../packages/namespaces/dist/launcher.js',
    hook: 'src/hook.ts',
    setup: '../../packages/network/dist/setup.js',
  },
  format: ['cjs'],
  // One copy of libc and constants for the launcher and the hooks it requires.
  splitting: true,
  shims: true,
  // The ESM build (tsup.config.ts) has cleaned dist already.
  clean: false,
  dts: false,
  sourcemap: true,
  target: 'node20',
  noExternal: [/^@rootless-ts\//],
  // koffi finds its native part relative to its own files: it must stay in node_modules.
  external: ['koffi'],
});
