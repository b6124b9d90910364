import { defineConfig } from 'vitest/config';

// vitest 5's reporter calls Map.groupBy, which Node 20 lacks; without it a file that
// fails to load crashes the reporter and hides the real error.
if (!(Map as unknown as { groupBy?: unknown }).groupBy) {
  (Map as unknown as { groupBy: unknown }).groupBy = <K, V>(items: Iterable<V>, key: (v: V, i: number) => K) => {
    const out = new Map<K, V[]>();
    let i = 0;
    for (const v of items) {
      const k = key(v, i++);
      const list = out.get(k);
      if (list) list.push(v);
      else out.set(k, [v]);
    }
    return out;
  };
}

/** The vitest config every package uses: sources of workspace packages, forks with --expose-gc. */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { pool: 'forks', execArgv: ['--expose-gc'], testTimeout: 60_000 },
});

export { chromiumLaunchOptions } from './chromium.js';
