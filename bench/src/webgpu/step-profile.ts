// Where a LeNet training step's time goes on webgpu (MegEngine's network-building guide
// examples): every dispatch is submitted and waited for on its own, and its wall time, less an
// empty submit-and-wait measured the same way, is summed by kernel and grid, with the process's
// CPU time (lavapipe runs kernels on this process's threads; steadier than wall time on a shared
// machine). Node (Dawn) only.
//   tsx --conditions=source src/webgpu/step-profile.ts [batch=64] [traced=0|1]
import { GradManager, getBackend, random, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { trace } from '@mge/jit';
import '@mge/kernels-webgpu';
import { LeNet } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';

const [batchArg = '64', tracedArg = '0'] = process.argv.slice(2);
const b = Number(batchArg);
await ready();
setDefaultDevice('webgpu');
random.seed(1);
const model = new LeNet();
const gm = new GradManager().attach(model.parameters());
const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
model.train();
const plain = (x: Tensor, y: Tensor) => {
  gm.record();
  const loss = F.crossEntropy(model(x) as Tensor, y);
  gm.backward(loss);
  opt.step().clearGrad();
  return loss;
};
const step = tracedArg === '1' ? trace(plain, { symbolic: true }) : plain;
random.seed(3);
const x = random.normal(0, 1, [b, 1, 32, 32]);
const y = tensor(
  Array.from({ length: b }, (_, i) => (i * 7) % 10),
  { dtype: 'int32' },
);
for (let i = 0; i < 3; i++) await step(x, y).data();

interface Buf {
  capacity: number;
}
type Rt = {
  dispatch(k: { key: string }, bufs: readonly Buf[], params: ArrayLike<number>, groups: readonly number[]): void;
  readSync(buf: Buf, bytes: number): ArrayBuffer;
  flush(): void;
};
const rt = (getBackend('webgpu') as unknown as { runtime: Rt }).runtime;
const original = rt.dispatch.bind(rt);
const probe = (getBackend('webgpu') as unknown as { upload(d: Float32Array): Buf }).upload(new Float32Array(4));
const wait = () => rt.readSync(probe, 4);
// the cost of one submit and wait with nothing in it
wait();
const t = performance.now();
for (let i = 0; i < 20; i++) wait();
const empty = (performance.now() - t) / 20;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const c = cpuMs();
for (let i = 0; i < 20; i++) wait();
const emptyCpu = (cpuMs() - c) / 20;
const rows = new Map<string, { n: number; ms: number; cpu: number }>();
let depth = 0;
rt.dispatch = (k, bufs, params, groups) => {
  if (depth > 0) return original(k, bufs, params, groups);
  depth++;
  wait();
  const c0 = cpuMs();
  const t0 = performance.now();
  original(k, bufs, params, groups);
  wait();
  const ms = performance.now() - t0 - empty;
  const cpu = cpuMs() - c0 - emptyCpu;
  depth--;
  const key = `${k.key} [${groups.join('×')}]`;
  const r = rows.get(key) ?? { n: 0, ms: 0, cpu: 0 };
  r.n++;
  r.ms += ms;
  r.cpu += cpu;
  rows.set(key, r);
};
const t1 = performance.now();
await step(x, y).data();
const wall = performance.now() - t1;
rt.dispatch = original;
const sorted = [...rows].sort((p, q) => q[1].cpu - p[1].cpu);
const total = sorted.reduce((s, [, r]) => s + r.ms, 0);
const totalCpu = sorted.reduce((s, [, r]) => s + r.cpu, 0);
console.log(
  `batch ${b} ${tracedArg === '1' ? 'traced' : 'eager'}: ${sorted.reduce((s, [, r]) => s + r.n, 0)} dispatches, kernel time ${total.toFixed(0)} ms wall, ${totalCpu.toFixed(0)} ms CPU (empty submit ${empty.toFixed(2)} ms, profiled wall ${wall.toFixed(0)} ms)`,
);
for (const [k, r] of sorted)
  console.log(`${r.cpu.toFixed(1).padStart(8)} ms CPU ${r.ms.toFixed(1).padStart(8)} ms wall ${String(r.n).padStart(4)}×  ${k}`);
process.exit(0);
