import { defineConfig } from 'tsup';

export default defineConfig({
  // The library. The launcher, a script of its own that spawn() starts as
  // `node launcher.cjs`, is then bundled by tsup.launcher.config.ts (the build script runs both, in order); the ESM
  // launcher.js built here is for bundlers that inline the launcher into their own (apps/demo).
  entry: ['src/index.ts', 'src/launcher.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
