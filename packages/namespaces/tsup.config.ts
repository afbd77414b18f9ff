import { defineConfig } from 'tsup';

export default defineConfig({
  // The launcher is a script of its own: the library spawns `node launcher.js`.
  entry: ['src/index.ts', 'src/launcher.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
