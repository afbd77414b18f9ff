import { defineConfig } from 'tsup';

export default defineConfig({
  // The helper is a program of its own: the store runs `node helper.js` in a user namespace.
  entry: ['src/index.ts', 'src/helper.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
