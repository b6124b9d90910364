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
    // What the page is (vitest.browser.threads.config.ts says true): the build test checks that the threaded module loads exactly when it is.
    provide: { crossOriginIsolated: false },
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
