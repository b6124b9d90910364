/**
 * Browser-test plumbing: a static server over dist/ on 127.0.0.1 (a secure context, so
 * navigator.gpu exists; it gzips text and WebAssembly as static hosts do) and Debian's chromium through playwright-core, launched with the
 * flags from shared/ENVIRONMENT.md. Pages record console errors and any request that
 * leaves the page's origin.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';

export const APP_DIR = resolve(import.meta.dirname, '..');
export const DIST = join(APP_DIR, 'dist');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
  '.mnz': 'application/octet-stream',
};

// What static hosts compress on the fly (text and WebAssembly); binary data goes as it is.
const COMPRESSED = new Set(['.html', '.js', '.css', '.json', '.svg', '.wasm']);
const gzipped = new Map<string, Buffer>();

function newestMtime(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return t;
}

/** Builds dist/ when it is missing or older than the app's sources (or the wasm kernels it bundles). */
export function ensureBuilt(): void {
  const index = join(DIST, 'index.html');
  const kernels = join(APP_DIR, '../../packages/kernels-wasm');
  const sources = Math.max(
    newestMtime(join(APP_DIR, 'src')),
    newestMtime(join(APP_DIR, 'assets')),
    newestMtime(join(kernels, 'src')),
    newestMtime(join(kernels, 'wasm')),
    statSync(join(APP_DIR, 'index.html')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync('pnpm', ['exec', 'vite', 'build', '--logLevel', 'warn'], { cwd: APP_DIR, stdio: 'inherit' });
}

export interface Served {
  url: string;
  /** Every response body sent, in order: its path and its bytes as sent (compressed or not). */
  sent: { path: string; bytes: number }[];
  close: () => Promise<void>;
}

/**
 * Serves the built app as a static host would (gzip for text and wasm). `isolated` (default)
 * adds the COOP/COEP headers of vite.config.ts, making the page cross-origin isolated.
 */
export async function serveDist({ isolated = true }: { isolated?: boolean } = {}): Promise<Served> {
  const sent: Served['sent'] = [];
  const isolation: Record<string, string> = isolated
    ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
    : {};
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(DIST, path));
    if (!file.startsWith(DIST)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = MIME[extname(file)] ?? 'application/octet-stream';
    if (COMPRESSED.has(extname(file)) && /\bgzip\b/.test(String(req.headers['accept-encoding']))) {
      if (!gzipped.has(file)) gzipped.set(file, gzipSync(readFileSync(file)));
      const body = gzipped.get(file) as Buffer;
      sent.push({ path, bytes: body.length });
      res.writeHead(200, { 'content-type': type, 'content-encoding': 'gzip', vary: 'accept-encoding', ...isolation });
      res.end(body);
      return;
    }
    const body = readFileSync(file);
    sent.push({ path, bytes: body.length });
    res.writeHead(200, { 'content-type': type, ...isolation });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, sent, close: () => new Promise((r) => server.close(() => r())) };
}

/** `args` replace the WebGPU flag (e.g. ['--disable-webgpu'] for a browser without WebGPU). */
export async function launch(gpuArgs: string[] = ['--enable-unsafe-webgpu']): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium' (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      ...gpuArgs,
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export interface Watched {
  page: Page;
  errors: string[];
  foreign: string[];
  /** Every URL the page and its workers requested, in order. */
  requests: string[];
}

/** A page that records console errors, uncaught exceptions and requests to other origins. */
export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<Watched> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const foreign: string[] = [];
  const requests: string[] = [];
  const origin = new URL(url).origin;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    requests.push(u);
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  return { page, errors, foreign, requests };
}
