import { defineConfig } from 'vitest/config';

/**
 * The vitest config of a package whose end-to-end tests watch the test user's processes (a
 * leftover check fails if another file's container is running): its files run one at a time.
 */
export const oneFileAtATime = defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
