// for its Map.groupBy polyfill (vitest 5's reporter on Node 20)
import '../../vitest.shared.js';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // vitest 5 runs tests in Vite's SSR environment, which ignores top-level resolve.conditions:
  // without ssr.resolve.conditions, '@mge/core' resolves to its (unbuilt) dist.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { pool: 'forks', execArgv: ['--expose-gc'], testTimeout: 60_000 },
});
