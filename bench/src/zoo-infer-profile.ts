// Batch-1 inference of a zoo network on cpu, time per backend method (kernel + call overhead) and
// what is left outside the backend (JS dispatch, autograd bookkeeping), for finding where a
// network's latency goes.
//   pnpm --filter @mge/bench exec tsx --conditions=source src/zoo-infer-profile.ts mobilenet_v2 [runs] [--traced]
// --traced profiles the deployment path instead: trace(…, { captureAsConst, optimizeForInference }).
import { getBackend, noGrad, random, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import '@mge/kernels-cpu';
import { trace } from '@mge/jit';
import { createModel } from '@mge/models-zoo';
import { randomFloats } from './stats.js';

await ready();
setDefaultDevice('cpu');
random.seed(2);
const args = process.argv.slice(2).filter((a) => a !== '--traced');
const traced = process.argv.includes('--traced');
const name = args[0] ?? 'mobilenet_v2';
const runs = Number(args[1] ?? 20);
const model = createModel(name).eval();
const eager = (t: Tensor) => noGrad(() => model(t) as Tensor);
const infer = traced ? trace(eager, { captureAsConst: true, optimizeForInference: true }) : eager;
const x = tensor(randomFloats(3 * 224 * 224, 9), { shape: [1, 3, 224, 224] });
const backend = getBackend('cpu') as unknown as Record<string, unknown>;
const times = new Map<string, { ms: number; calls: number }>();
let proto: object | null = backend;
const seen = new Set<string>();
while (proto && proto !== Object.prototype) {
  for (const key of Object.getOwnPropertyNames(proto)) {
    if (seen.has(key) || key === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (!d || typeof d.value !== 'function') continue;
    seen.add(key);
    const fn = d.value as (...a: unknown[]) => unknown;
    backend[key] = function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      const r = fn.apply(this, args);
      // convolutions by kind: depthwise / grouped, pointwise, spatial
      const p = key.startsWith('conv2d') ? (args[2] as { groups?: number; kh?: number } | undefined) : undefined;
      const kind = !p ? '' : (p.groups ?? 1) > 1 ? ' grouped' : p.kh === 1 ? ' 1×1' : ` ${p.kh}×${p.kh}`;
      const e = times.get(key + kind) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls++;
      times.set(key + kind, e);
      return r;
    };
  }
  proto = Object.getPrototypeOf(proto);
}
for (let i = 0; i < 3; i++) await infer(x).data();
times.clear();
const t0 = performance.now();
for (let i = 0; i < runs; i++) await infer(x).data();
const total = (performance.now() - t0) / runs;
let inBackend = 0;
const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
for (const [, v] of rows) inBackend += v.ms / runs;
console.log(
  `${name} b1${traced ? ' traced' : ''}: ${total.toFixed(2)} ms per inference; ${inBackend.toFixed(2)} ms inside backend methods`,
);
for (const [k, v] of rows.slice(0, 25))
  console.log(`  ${k.padEnd(32)} ${(v.ms / runs).toFixed(3).padStart(8)} ms  ${(v.calls / runs).toFixed(0).padStart(5)} calls`);
