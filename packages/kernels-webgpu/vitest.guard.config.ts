// for its Map.groupBy polyfill (vitest 5's reporter on Node 20)
import '../../vitest.shared.js';
import { defineConfig } from 'vitest/config';

/** The no-yield guard (60,000 kernels in one task) alone in its process; see vitest.config.ts. */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/no-yield-guard.test.ts'],
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 300_000,
  },
});
