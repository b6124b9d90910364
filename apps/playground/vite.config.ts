import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages resolve to their TypeScript sources (the 'source' export
// condition), so the app builds without building the packages first.
const conditions = ['source', ...defaultClientConditions];

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
  preview: { host: '127.0.0.1' },
  server: { host: '127.0.0.1' },
});
