import { defineConfig } from 'vitest/config';

/**
 * Every unit test of every package, for `npm run test:unit` (which builds first: a few tests run
 * a package's built code in a child process): what anyone can run as a plain user, with no root,
 * no subordinate ids, no network and no set-up (tools/setup-host.sh not run). Tests that need any
 * of that are end-to-end tests, named `*.e2e.test.ts`, and run with `npm test`.
 */
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.e2e.test.ts'],
    testTimeout: 60_000,
  },
});
