/**
 * A/B of the GEMM's vec4 staging on SwiftShader: one headless chromium page runs our
 * workloads with `backend.vec4 = false` (scalar loads) and `true`, alternating run by run
 * so load from other processes hits both alike. Prints min and median per side.
 *
 *   pnpm --filter @mge/bench bench:ab-vec4 [rounds=11] [LeNet,matmul]
 */
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../../../chromium.js';
import { bundlePage } from './bundle-page.js';

const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[2] ?? 11);
if (!Number.isInteger(rounds) || rounds <= 0) throw new Error(`bench:ab-vec4: rounds must be a positive integer, got ${process.argv[2]}`);
const only = (process.argv[3] ?? 'LeNet,matmul').split(',');

const js = await bundlePage(join(here, 'ab-vec4-page.ts'));
const server = createServer((req, res) => {
  if (req.url === '/ab.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
  else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/ab.js"></script>');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const browser = await chromium.launch({ ...chromiumLaunchOptions, headless: true });
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`  [page error] ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => (globalThis as Record<string, unknown>).abReady === true, undefined, { timeout: 60_000 });
  const result = (await page.evaluate(
    ([n, o]) => (globalThis as unknown as { runAB: (n: number, o: string[]) => Promise<unknown> }).runAB(n, o),
    [rounds, only] as const,
  )) as Record<string, { scalar: number[]; vec4: number[] }>;
  const median = (a: number[]) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const fmt = (a: number[]) => `min ${Math.min(...a).toFixed(0)} ms, median ${median(a).toFixed(0)} ms`;
  console.log(`${rounds} alternating rounds per side on the page's adapter (SwiftShader here)`);
  for (const [name, r] of Object.entries(result)) console.log(`${name}: scalar ${fmt(r.scalar)} | vec4 ${fmt(r.vec4)}`);
} finally {
  await browser.close();
  server.close();
}
