/**
 * Throughput of the webgpu backend against core's js backend on the same work:
 * matmul n³ and a LeNet-sized conv2d forward / backward. Run: pnpm --filter @mge/bench bench:webgpu-backend
 * Each timing waits for the GPU (sync) so it measures finished work, not queued work.
 */
import { type Backend, JsBackend, type MatmulParams } from '@mge/core';
import { createWebGpuBackend } from '@mge/kernels-webgpu';

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

async function time(b: Backend, run: () => unknown, minMs = 400): Promise<number> {
  const once = async () => {
    const out = run();
    await b.sync?.();
    b.release(out);
  };
  await once();
  let iters = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || iters < 2) {
    await once();
    iters++;
  }
  return (performance.now() - t0) / iters;
}

const gpu = await createWebGpuBackend();
const js = new JsBackend();
console.log(`adapter: ${gpu.description}`);
const rows: string[][] = [['work', 'webgpu ms', 'js ms', 'webgpu GFLOP/s', 'ratio js/webgpu']];

for (const n of [128, 256, 512, 1024]) {
  const p: MatmulParams = { batch: 1, m: n, n, k: n, transA: false, transB: false, batchA: 1, batchB: 1 };
  const a = rand(n * n);
  const bm = rand(n * n);
  const refs = (b: Backend) => [
    { buf: b.upload(a), shape: [1, n, n], dtype: 'float32' as const },
    { buf: b.upload(bm), shape: [1, n, n], dtype: 'float32' as const },
  ];
  const [ga, gb] = refs(gpu);
  const [ja, jb] = refs(js);
  const tg = await time(gpu, () => gpu.matmul(ga, gb, p));
  const tj = n <= 512 ? await time(js, () => js.matmul(ja, jb, p)) : NaN;
  rows.push([
    `matmul ${n}³`,
    tg.toFixed(2),
    Number.isNaN(tj) ? '-' : tj.toFixed(2),
    ((2 * n ** 3) / tg / 1e6).toFixed(2),
    Number.isNaN(tj) ? '-' : (tj / tg).toFixed(2),
  ]);
}

// LeNet's second convolution on a batch of 64: x [64,6,12,12], w [16,6,5,5] → y [64,16,8,8].
const c = { n: 64, c: 6, h: 12, w: 12, o: 16, kh: 5, kw: 5, oh: 8, ow: 8, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1 };
const flops = 2 * c.n * c.o * c.oh * c.ow * c.c * c.kh * c.kw;
const x = rand(c.n * c.c * c.h * c.w);
const w = rand(c.o * c.c * c.kh * c.kw);
const dy = rand(c.n * c.o * c.oh * c.ow);
for (const [name, f] of [
  ['conv2d fwd', (b: Backend, r: ReturnType<typeof up>) => b.conv2d(r.x, r.w, c)],
  ['conv2d bwd input', (b: Backend, r: ReturnType<typeof up>) => b.conv2dBackwardInput(r.dy, r.w, c)],
  ['conv2d bwd filter', (b: Backend, r: ReturnType<typeof up>) => b.conv2dBackwardFilter(r.x, r.dy, c)],
] as const) {
  const rg = up(gpu);
  const rj = up(js);
  const tg = await time(gpu, () => f(gpu, rg));
  const tj = await time(js, () => f(js, rj));
  rows.push([`${name} LeNet conv2 ×64`, tg.toFixed(2), tj.toFixed(2), (flops / tg / 1e6).toFixed(2), (tj / tg).toFixed(2)]);
}

function up(b: Backend) {
  return {
    x: { buf: b.upload(x), shape: [c.n, c.c, c.h, c.w], dtype: 'float32' as const },
    w: { buf: b.upload(w), shape: [c.o, c.c, c.kh, c.kw], dtype: 'float32' as const },
    dy: { buf: b.upload(dy), shape: [c.n, c.o, c.oh, c.ow], dtype: 'float32' as const },
  };
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((v, i) => v.padStart(widths[i])).join('  '));
console.log(`dispatches ${gpu.runtime.stats.dispatches}, submits ${gpu.runtime.stats.submits}, pipelines ${gpu.runtime.stats.pipelines}`);
process.exit(0);
