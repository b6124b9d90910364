/**
 * The browser benchmark, for one device:
 * - `--device webgpu` (default): our backend against @tensorflow/tfjs-backend-webgpu in the SAME
 *   headless chromium page (same adapter, SwiftShader on a machine without a GPU), then our
 *   side alone in Node on Dawn (lavapipe here) — tfjs-backend-webgpu does not run in Node.
 * - `--device wasm`: @mge/kernels-wasm against tfjs-backend-wasm (both single-thread SIMD), in one
 *   chromium page and then both again in Node.
 * Prints a table with the ratio and writes results-<device>.json in bench/.
 *
 *   pnpm --filter @mge/bench bench:webgpu [--runs 5] [--warmup 2] [--batch 64] [--matmul 1024]
 *                                            [--only matmul] [--no-node] [--no-browser]
 *   pnpm --filter @mge/bench bench:wasm [same flags; --infer 256] [--isolated]
 * `--isolated` serves the page with COOP/COEP headers: both wasm sides then load their threaded
 * builds (compare with the default run, where both run one thread); `--tfjs-threads N` sets
 * tfjs-backend-wasm's thread count there (its default is its own choice, printed as tfjsThreads). In Node, tfjs-backend-wasm is
 * always single-thread and ours is threaded unless MGE_WASM_THREADS=1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../../../chromium.js';
import { bundlePage } from './bundle-page.js';
import { type BenchConfig, DEFAULT_CONFIG, measure } from './workloads.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`bench: --${name} must be a positive number, got ${args[i + 1]}`);
  return v;
};
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const device = args.includes('--device') ? args[args.indexOf('--device') + 1] : 'webgpu';
if (device !== 'webgpu' && device !== 'wasm') throw new Error(`bench: --device must be webgpu or wasm, got ${device}`);
const warmup = opt('warmup', 2);
const runs = opt('runs', 5);
const cfg: BenchConfig = {
  ...DEFAULT_CONFIG,
  lenetBatch: opt('batch', DEFAULT_CONFIG.lenetBatch),
  // The wasm targets are inference at batch 256 and a training step at batch 64.
  inferBatch: opt('infer', opt('batch', device === 'wasm' ? 256 : DEFAULT_CONFIG.inferBatch)),
  matmulN: opt('matmul', DEFAULT_CONFIG.matmulN),
};

interface Side {
  name: string;
  flops: number;
  timing: { medianMs: number; minMs: number; runs: number };
}
interface BrowserReport {
  adapter: Record<string, unknown>;
  oursDescription: string;
  tfjsBackend: string;
  mge: Side[];
  tfjs: Side[];
  userAgent: string;
}

async function browserRun(): Promise<BrowserReport> {
  const js = await bundlePage(join(here, 'page.ts'));
  const html = '<!doctype html><meta charset="utf-8"><title>mge browser bench</title><script type="module" src="/bench.js"></script>';
  // The two WebAssembly modules: ours (kernels-wasm resolves it next to the bundle, /wasm/…) and
  // tfjs-backend-wasm's (setWasmPaths('/tfjs/') in the page).
  const require = createRequire(import.meta.url);
  const wasmFile = (url: string): string | undefined => {
    if (url === '/wasm/mge_kernels.wasm' || url === '/wasm/mge_kernels_mt.wasm') return join(here, '../../../packages/kernels-wasm', url);
    const m = /^\/tfjs\/(tfjs-backend-wasm[a-z-]*\.wasm)$/.exec(url);
    return m ? join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), m[1]) : undefined;
  };
  const isolation = flag('isolated') ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
    const file = wasmFile(req.url ?? '');
    if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else if (file) res.writeHead(200, { 'content-type': 'application/wasm' }).end(readFileSync(file));
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
    await page.waitForFunction(() => (globalThis as Record<string, unknown>).benchReady === true, undefined, { timeout: 60_000 });
    return (await page.evaluate(
      ([d, c, w, r, o, t]) => (globalThis as unknown as { runBench: (...a: unknown[]) => Promise<unknown> }).runBench(d, c, w, r, o, t),
      [device, cfg, warmup, runs, only, args.includes('--tfjs-threads') ? opt('tfjs-threads', 1) : undefined] as const,
    )) as BrowserReport;
  } finally {
    await browser.close();
    server.close();
  }
}

/** Node, wasm: both sides again (tfjs-backend-wasm runs in Node too), interleaved as in the page. */
async function nodeRunWasm(): Promise<{ oursDescription: string; tfjsThreads?: number; mge: Side[]; tfjs: Side[] }> {
  const { getBackend, ready } = await import('@mge/core');
  await import('@mge/kernels-wasm');
  const { useTf } = await import('../peers.js');
  const { runBoth } = await import('./both.js');
  await ready(['wasm']);
  if (!(await useTf('wasm'))) throw new Error('bench: tfjs-backend-wasm does not initialise in Node');
  const ours = getBackend('wasm') as unknown as { description: string };
  const tf = await import('@tensorflow/tfjs-core');
  const tfb = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  const tfjsThreads = tfb.wasm?.tfjs?.getThreadsCount?.();
  return { oursDescription: ours.description, tfjsThreads, ...(await runBoth('wasm', cfg, warmup, runs, only)) };
}

async function nodeRun(): Promise<{ adapter: string; mge: Side[] }> {
  const { getBackend, ready } = await import('@mge/core');
  await import('@mge/kernels-webgpu');
  const { mgeWorkloads } = await import('./mge-workloads.js');
  await ready();
  const backend = getBackend('webgpu') as unknown as { description: string };
  const out: Side[] = [];
  for (const w of mgeWorkloads('webgpu', cfg)) {
    if (only && !w.name.includes(only)) continue;
    out.push({ name: w.name, flops: w.flops, timing: await measure(w, warmup, runs) });
    console.log(`  [node] ${w.name}: ${out.at(-1)!.timing.medianMs.toFixed(1)} ms`);
  }
  return { adapter: backend.description, mge: out };
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const gflops = (s: Side) => (s.flops ? (s.flops / s.timing.medianMs / 1e6).toFixed(2) : '-');
function table(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  '));
}

const result: Record<string, unknown> = { date: new Date().toISOString(), device, config: cfg, warmup, runs };

function sideBySide(mge: Side[], tfjs: Side[]): Record<string, number> {
  const rows = [['workload', 'mge ms', 'tfjs ms', 'mge GFLOP/s', 'tfjs GFLOP/s', 'speed-up (tfjs ms / mge ms)']];
  const ratios: Record<string, number> = {};
  for (const m of mge) {
    const t = tfjs.find((s) => s.name === m.name);
    const ratio = t ? t.timing.medianMs / m.timing.medianMs : NaN;
    ratios[m.name] = ratio;
    rows.push([
      m.name,
      fmt(m.timing.medianMs),
      t ? fmt(t.timing.medianMs) : '-',
      gflops(m),
      t ? gflops(t) : '-',
      Number.isNaN(ratio) ? '-' : `${ratio.toFixed(2)}×`,
    ]);
  }
  table(rows);
  return ratios;
}

if (!flag('no-browser')) {
  console.log(`browser: headless chromium, our ${device} backend and tfjs-backend-${device} 4.22.0 in one page…`);
  const b = await browserRun();
  console.log(
    `\n${device === 'webgpu' ? 'adapter' : 'page'}: ${JSON.stringify(b.adapter)}; ${b.userAgent.match(/Chrom\w*\/[\d.]+/)?.[0] ?? ''}`,
  );
  console.log(`ours: ${b.oursDescription}; medians of ${runs} runs after ${warmup} warm-up runs; every run reads its result back\n`);
  result.browser = { ...b, ratios: sideBySide(b.mge, b.tfjs) };
}
if (!flag('no-node') && device === 'wasm') {
  console.log('\nnode: our wasm backend and tfjs-backend-wasm 4.22.0 in one process…');
  const n = await nodeRunWasm();
  console.log(`ours: ${n.oursDescription}; tfjs-backend-wasm threads: ${n.tfjsThreads ?? '?'}; CPU ${cpus()[0]?.model ?? '?'}\n`);
  result.node = { ...n, ratios: sideBySide(n.mge, n.tfjs) };
}
if (!flag('no-node') && device === 'webgpu') {
  console.log('\nnode: our webgpu backend on Dawn (tfjs-backend-webgpu does not run in Node, so no peer here)…');
  const n = await nodeRun();
  console.log(`\nadapter (node): ${n.adapter}\n`);
  table([['workload', 'mge ms', 'mge GFLOP/s'], ...n.mge.map((m) => [m.name, fmt(m.timing.medianMs), gflops(m)])]);
  result.node = n;
}
const file = join(here, '..', '..', `results-${device}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nwrote ${file}`);
process.exit(0);
