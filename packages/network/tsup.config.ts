import { defineConfig } from 'tsup';

export default defineConfig({
  // The setup hook is a module of its own: the namespaces launcher imports it by path.
  entry: ['src/index.ts', 'src/setup.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
