import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages resolve to their TypeScript sources (the 'source' export
// condition), so the app builds without building the packages first.
const conditions = ['source', ...defaultClientConditions];

// Cross-origin isolation gives the page SharedArrayBuffer, so the `wasm` backend loads its
// threaded module; a host that serves the build without these headers gets the single-thread one.
const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  resolve: { conditions },
  worker: {
    format: 'es',
    // class names drive summaries and the state dict printout: keep them through minification
    rolldownOptions: { output: { keepNames: true } },
  },
  build: {
    target: 'es2022',
    assetsInlineLimit: 0,
    rolldownOptions: { output: { keepNames: true } },
  },
  preview: { host: '127.0.0.1', headers },
  server: { host: '127.0.0.1', headers },
});
