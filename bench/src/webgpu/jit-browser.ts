// jit.trace on webgpu in headless Chromium (SwiftShader on a machine without a GPU): the rounds of
// jit-rounds.ts (LeNet training step, eager vs traced, alternated) in one page; prints one JSON line.
//   tsx --conditions=source src/webgpu/jit-browser.ts [batch=64] [steps=5] [rounds=3]
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../../../chromium.js';
import { bundlePage } from './bundle-page.js';

const here = dirname(fileURLToPath(import.meta.url));
const [batch, steps, rounds] = [64, 5, 3].map((d, i) => {
  const v = Number(process.argv[2 + i] ?? d);
  if (!Number.isInteger(v) || v <= 0)
    throw new Error(`jit-browser: argument ${i + 1} must be a positive integer, got ${process.argv[2 + i]}`);
  return v;
});
const js = await bundlePage(join(here, 'jit-page.ts'));
const html = '<!doctype html><meta charset="utf-8"><title>mge jit webgpu bench</title><script type="module" src="/bench.js"></script>';
const server = createServer((req, res) => {
  if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
  else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as { port: number }).port;
const browser = await chromium.launch({ ...chromiumLaunchOptions, headless: true });
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`  [page] ${m.text()}`));
  page.on('pageerror', (e) => console.error(`  [page error] ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => (globalThis as Record<string, unknown>).jitReady === true, undefined, { timeout: 60_000 });
  const r = await page.evaluate(
    ([b, s, n]) => (globalThis as unknown as { runJit: (...a: number[]) => Promise<unknown> }).runJit(b, s, n),
    [batch, steps, rounds] as const,
  );
  console.log(JSON.stringify({ ...(r as object), cpu: cpus()[0]?.model }));
} finally {
  await browser.close();
  server.close();
}
process.exit(0);
