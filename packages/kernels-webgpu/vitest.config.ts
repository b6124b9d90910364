// for its Map.groupBy polyfill (vitest 5's reporter on Node 20)
import '../../vitest.shared.js';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // the no-yield guard leaves ~60,000 Dawn bind groups for the collector: it runs in a process of
    // its own (vitest.guard.config.ts) so that no later file adds to them past lavapipe's limit
    exclude: ['test/browser/**', 'test/no-yield-guard.test.ts'],
    pool: 'forks',
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
    // One file at a time: Mesa's llvmpipe already uses every core for each dispatch.
    fileParallelism: false,
    // ...in one process: the files share the registry's device, its compiled pipelines and one
    // Dawn start-up, instead of compiling every WGSL pipeline again per file.
    isolate: false,
  },
});
