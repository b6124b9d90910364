import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
// also installs the Map.groupBy polyfill vitest 5's reporter needs on Node 20
import { chromiumLaunchOptions } from '../../vitest.shared.js';

/** Browser tests in Debian's chromium (see chromiumLaunchOptions in the root vitest.shared.ts). */
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: chromiumLaunchOptions,
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
