import { defineConfig, mergeConfig } from 'vitest/config';
import browser from './vitest.browser.config.js';

/**
 * The browser tests again on a cross-origin isolated page (COOP/COEP headers), where
 * SharedArrayBuffer exists and the `wasm` backend loads the threaded module.
 */
export default mergeConfig(
  browser,
  defineConfig({
    server: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
    test: { provide: { crossOriginIsolated: true } },
  }),
);
