// for its Map.groupBy polyfill (vitest 5's reporter on Node 20)
import '../../vitest.shared.js';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

/**
 * Browser tests (the same setup as @mge/kernels-webgpu): Debian's chromium (apt-get install -y chromium), headless, with
 * WebGPU on its SwiftShader adapter. `--enable-unsafe-webgpu` is the one flag that
 * matters (CPU adapters are blocklisted otherwise); --no-sandbox because CI runs as root.
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: {
          executablePath: process.env.MGE_CHROMIUM ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--enable-unsafe-webgpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--disable-quic',
          ],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
