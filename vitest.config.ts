import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The summary reporter prints one plain "N passed, N failed" line that CI reads.
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
