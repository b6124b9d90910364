// for its Map.groupBy polyfill (vitest 5's reporter on Node 20)
import '../../vitest.shared.js';
import { defineConfig } from 'vitest/config';

/**
 * Core's conformance suite with f16 storage (`pnpm --filter @mge/kernels-webgpu test:f16-conformance`).
 * A report, not part of `test`: some cases cannot hold in f16 by design (see the README).
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/conformance-f16.suite.ts'],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
