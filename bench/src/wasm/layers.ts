// Per-layer profile of LeNet inference on the single-thread wasm module, kernel by kernel
// (direct calls into the module, no framework), beside tfjs-backend-wasm's ops for the same
// layers. CPU time per call (process.cpuUsage), alternated, min and median over runs.
//   npx tsx --conditions=source src/wasm/layers.ts [--batch 256] [--runs 15] [--wasm path/to/mge_kernels.wasm]
import { loadKernels, wasmUrl } from '@mge/kernels-wasm';

const args = process.argv.slice(2);
const opt = (name: string, d: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : d);
const B = opt('batch', 256);
const RUNS = opt('runs', 15);

const wasmArg = args.includes('--wasm') ? args[args.indexOf('--wasm') + 1] : undefined;
const k = await loadKernels(wasmArg ? new URL(wasmArg, `file://${process.cwd()}/`) : wasmUrl);
const f32 = () => new Float32Array(k.memory.buffer);
const i32 = () => new Int32Array(k.memory.buffer);
function buf(n: number, seed = 1): number {
  const p = k.mge_alloc(n * 4);
  const v = f32();
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    v[(p >> 2) + i] = (s / 2 ** 32) * 2 - 1;
  }
  return p;
}
function params(vals: number[]): number {
  const p = k.mge_alloc(vals.length * 4);
  i32().set(vals, p >> 2);
  return p;
}
const conv = (n: number, c: number, h: number, o: number, kk: number) =>
  params([n, c, h, h, o, kk, kk, h - kk + 1, h - kk + 1, 1, 1, 0, 0, 1, 1, 1]);
const pool = (n: number, c: number, h: number) => params([n, c, h, h, 2, 2, h / 2, h / 2, 2, 2, 0, 0]);

const x = buf(B * 1024, 3);
const w1 = buf(150, 4);
const b1 = buf(6, 5);
const y1 = buf(B * 6 * 784);
const p1 = buf(B * 6 * 196);
const w2 = buf(2400, 6);
const b2 = buf(16, 7);
const y2 = buf(B * 16 * 100);
const p2 = buf(B * 400);
const f1w = buf(400 * 120, 8);
const f1b = buf(120, 9);
const h1 = buf(B * 120);
const f2w = buf(120 * 84, 10);
const f2b = buf(84, 11);
const h2 = buf(B * 84);
const f3w = buf(84 * 10, 12);
const f3b = buf(10, 13);
const out = buf(B * 10);
const pc1 = conv(B, 1, 32, 6, 5);
const pp1 = pool(B, 6, 28);
const pc2 = conv(B, 6, 14, 16, 5);
const pp2 = pool(B, 16, 10);
// Linear: x [B, in] · wᵀ (w [out, in]): transB
const mm = (m: number, n: number, kk: number) => params([1, m, n, kk, 0, 1, 1, 1]);
const pm1 = mm(B, 120, 400);
const pm2 = mm(B, 84, 120);
const pm3 = mm(B, 10, 84);

const ours: [string, () => void][] = [
  ['conv1+bias+relu', () => k.mge_conv2d(x, w1, y1, pc1, b1, 1)],
  ['pool1', () => k.mge_pool2d(1, y1, p1, pp1)],
  ['conv2+bias+relu', () => k.mge_conv2d(p1, w2, y2, pc2, b2, 1)],
  ['pool2', () => k.mge_pool2d(1, y2, p2, pp2)],
  ['fc1+bias+relu', () => k.mge_matmul(p2, f1w, h1, pm1, f1b, 1)],
  ['fc2+bias+relu', () => k.mge_matmul(h1, f2w, h2, pm2, f2b, 1)],
  ['fc3+bias', () => k.mge_matmul(h2, f3w, out, pm3, f3b, 0)],
];

const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend('wasm');
await tf.ready();
const rnd = (shape: number[]) => tf.randomUniform(shape, -1, 1);
const tx = rnd([B, 32, 32, 1]);
const tw1 = rnd([5, 5, 1, 6]);
const tb1 = rnd([6]);
const tw2 = rnd([5, 5, 6, 16]);
const tb2 = rnd([16]);
const ty1 = rnd([B, 28, 28, 6]);
const tp1 = rnd([B, 14, 14, 6]);
const ty2 = rnd([B, 10, 10, 16]);
const tp2 = rnd([B, 400]);
const tf1w = rnd([400, 120]);
const th1 = rnd([B, 120]);
const tf2w = rnd([120, 84]);
const th2 = rnd([B, 84]);
const tf3w = rnd([84, 10]);
const tf1b = rnd([120]);
const tf2b = rnd([84]);
const tf3b = rnd([10]);
const keep = (f: () => import('@tensorflow/tfjs-core').Tensor) => () => {
  const t = f();
  t.dataSync();
  t.dispose();
};
const peer: [string, () => void][] = [
  ['conv1 (conv, add, relu)', keep(() => tf.tidy(() => tf.relu(tf.add(tf.conv2d(tx as never, tw1 as never, 1, 'valid'), tb1))))],
  ['pool1', keep(() => tf.maxPool(ty1 as never, 2, 2, 'valid'))],
  ['conv2 (conv, add, relu)', keep(() => tf.tidy(() => tf.relu(tf.add(tf.conv2d(tp1 as never, tw2 as never, 1, 'valid'), tb2))))],
  ['pool2', keep(() => tf.maxPool(ty2 as never, 2, 2, 'valid'))],
  ['fc1 (matmul, add, relu)', keep(() => tf.tidy(() => tf.relu(tf.add(tf.matMul(tp2 as never, tf1w as never), tf1b))))],
  ['fc2 (matmul, add, relu)', keep(() => tf.tidy(() => tf.relu(tf.add(tf.matMul(th1 as never, tf2w as never), tf2b))))],
  ['fc3 (matmul, add)', keep(() => tf.tidy(() => tf.add(tf.matMul(th2 as never, tf3w as never), tf3b)))],
];

const cpuMs = (f: () => void, reps: number) => {
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / reps;
};
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const [, f] of [...ours, ...peer]) for (let r = 0; r < 3; r++) f();
const to: number[][] = ours.map(() => []);
const tp: number[][] = peer.map(() => []);
for (let r = 0; r < RUNS; r++) {
  for (const [i, [, f]] of ours.entries()) to[i].push(cpuMs(f, 3));
  for (const [i, [, f]] of peer.entries()) tp[i].push(cpuMs(f, 3));
}
console.log(`LeNet inference b${B}, CPU ms per call (min / median of ${RUNS}):`);
let so = 0;
let sp = 0;
for (let i = 0; i < ours.length; i++) {
  so += Math.min(...to[i]);
  sp += Math.min(...tp[i]);
  console.log(
    `${ours[i][0].padEnd(18)} ${Math.min(...to[i])
      .toFixed(2)
      .padStart(7)} ${med(to[i]).toFixed(2).padStart(7)}   | tfjs ${peer[i][0].padEnd(24)} ${Math.min(...tp[i])
      .toFixed(2)
      .padStart(7)} ${med(tp[i]).toFixed(2).padStart(7)}`,
  );
}
console.log(`sum of mins: ours ${so.toFixed(2)} ms, tfjs ${sp.toFixed(2)} ms, ratio ${(sp / so).toFixed(2)}×`);
