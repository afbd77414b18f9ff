import { defineConfig } from 'tsup';

export default defineConfig({
  // The setup hook is a module of its own: the launcher imports it by path in the container.
  entry: ['src/cli.ts', 'src/hook.ts'],
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
