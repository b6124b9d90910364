// Batch-1 inference of a zoo network on cpu, time per backend method (kernel + call overhead) and
// what is left outside the backend (JS dispatch, autograd bookkeeping), for finding where a
// network's latency goes.
//   pnpm --filter @mge/bench exec tsx --conditions=source src/zoo-infer-profile.ts mobilenet_v2 [runs] [--traced]
// --cpu times by process CPU time. --traced profiles the deployment path instead: trace(…, { captureAsConst, optimizeForInference }).
import { getBackend, noGrad, random, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import { trace } from '@mge/jit';
import { cpuInfo, measureFmaPeak } from '@mge/kernels-cpu';
import { createModel } from '@mge/models-zoo';
import { randomFloats } from './stats.js';

await ready();
setDefaultDevice('cpu');
random.seed(2);
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const traced = process.argv.includes('--traced');
const name = args[0] ?? 'mobilenet_v2';
const runs = Number(args[1] ?? 20);
const model = createModel(name).eval();
const eager = (t: Tensor) => noGrad(() => model(t) as Tensor);
// --no-prepack: the traced path without the backend's prepared weights (prepackConv2d), for A/B
if (process.argv.includes('--no-prepack')) (getBackend('cpu') as { prepackConv2d?: unknown }).prepackConv2d = undefined;
const infer = traced ? trace(eager, { captureAsConst: true, optimizeForInference: true }) : eager;
const x = tensor(randomFloats(3 * 224 * 224, 9), { shape: [1, 3, 224, 224] });
const backend = getBackend('cpu') as unknown as Record<string, unknown>;
// --cpu: process CPU time instead of wall time (on a loaded machine, at 1 thread, this is the
// time our thread ran, not the time it waited for a core).
const cpuClock = process.argv.includes('--cpu');
const clock = cpuClock
  ? () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
  : () => performance.now();
const times = new Map<string, { ms: number; calls: number }>();
// Convolutions by layer kind (with the output size, so that 1×1 layers at 112² and at 7² are
// apart): time and FLOPs, for GFLOP/s next to the FMA peak.
const kinds = new Map<string, { ms: number; flops: number; calls: number }>();
type ConvP = { n: number; c: number; o: number; kh: number; kw: number; oh: number; ow: number; sh: number; groups: number };
const convKind = (p: ConvP) => {
  const what = p.groups === p.c && p.groups > 1 ? 'depthwise' : p.groups > 1 ? 'grouped' : p.kh === 1 ? '1×1' : `${p.kh}×${p.kw}`;
  return `${what}${p.sh > 1 ? '/2' : ''} → ${p.oh}²`;
};
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
      const t0 = clock();
      const r = fn.apply(this, args);
      // convolutions by kind: depthwise / grouped, pointwise, spatial
      const p = key.startsWith('conv2d') ? (args[2] as { groups?: number; kh?: number } | undefined) : undefined;
      const kind = !p ? '' : (p.groups ?? 1) > 1 ? ' grouped' : p.kh === 1 ? ' 1×1' : ` ${p.kh}×${p.kh}`;
      const ms = clock() - t0;
      if (p) {
        const q = p as unknown as ConvP;
        const k = convKind(q);
        const flops = 2 * q.n * q.o * q.oh * q.ow * (q.c / q.groups) * q.kh * q.kw;
        const r = kinds.get(k) ?? { ms: 0, flops: 0, calls: 0 };
        r.ms += ms;
        r.flops += flops;
        r.calls++;
        kinds.set(k, r);
      }
      const e = times.get(key + kind) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls++;
      times.set(key + kind, e);
      return r;
    };
  }
  proto = Object.getPrototypeOf(proto);
}
for (let i = 0; i < 3; i++) await infer(x).data();
times.clear();
kinds.clear();
const t0 = clock();
for (let i = 0; i < runs; i++) await infer(x).data();
const total = (clock() - t0) / runs;
let inBackend = 0;
const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
for (const [, v] of rows) inBackend += v.ms / runs;
console.log(
  `${name} b1${traced ? ' traced' : ''}: ${total.toFixed(2)} ms ${cpuClock ? 'CPU time' : ''} per inference; ${inBackend.toFixed(2)} ms inside backend methods`,
);
for (const [k, v] of rows.slice(0, 25))
  console.log(`  ${k.padEnd(32)} ${(v.ms / runs).toFixed(3).padStart(8)} ms  ${(v.calls / runs).toFixed(0).padStart(5)} calls`);
const peak = measureFmaPeak();
const info = cpuInfo();
console.log(`convolutions by layer kind (${info.isa}, ${info.threads} thread(s); single-thread FMA peak ${peak.toFixed(0)} GFLOP/s):`);
for (const [k, v] of [...kinds.entries()].sort((a, b) => b[1].ms - a[1].ms))
  console.log(
    `  ${k.padEnd(20)} ${(v.ms / runs).toFixed(3).padStart(8)} ms  ${(v.calls / runs).toFixed(0).padStart(3)} layers  ${(
      v.flops /
      (v.ms * 1e6)
    )
      .toFixed(1)
      .padStart(6)} GFLOP/s`,
  );
