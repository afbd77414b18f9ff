import { defineConfig } from 'tsup';

// One start of `rootless run` loads the CLI in this process and the launcher plus the setup hook
// in another: each module file costs a resolution, a read and a compile on every start. Bundling
// the workspace packages and commander (koffi stays outside: a native addon) leaves a handful of
// files; the launcher is built here too, from the namespaces package's build, so that it and the
// hook share their chunks (one copy of libc and constants in the launcher process, not two).
// Measured in packages/namespaces/README.md (Performance): about 15 % less CPU per run.
export default defineConfig({
  entry: {
    cli: 'src/cli.ts',
    // The launcher imports the hook by path in the container.
    hook: 'src/hook.ts',
    // namespaces' spawn() starts the launcher.js that sits beside the code that calls it.
    launcher: '../../packages/namespaces/dist/launcher.js',
    // The store runs its helper.js (layer extraction, removal as root in the user namespace)
    // from beside the code that calls it.
    helper: '../../packages/store/dist/helper.js',
    // The network package's setup hook (lo up, sysctls in the new network namespace), found
    // beside the code that plans it.
    setup: '../../packages/network/dist/setup.js',
  },
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
  noExternal: [/^@rootless-ts\//, 'commander'],
  // koffi finds its native part relative to its own files: it must stay in node_modules (it is a
  // dependency of libc, not of this package, so it is not external by default).
  external: ['koffi'],
  // commander is CommonJS: its require() calls of Node's modules need a real require in ESM.
  banner: {
    js: "import { createRequire as __rtsCreateRequire } from 'node:module'; const require = __rtsCreateRequire(import.meta.url);",
  },
});
