import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: { pool: 'forks', execArgv: ['--expose-gc'], testTimeout: 60_000 },
});
