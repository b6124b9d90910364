// LeNet inference on the wasm backend (the framework, as in bench:wasm) against tfjs-backend-wasm,
// alternated run by run, timed in process CPU time and wall time. Run with MGE_WASM_THREADS=1
// for one thread each (tfjs-backend-wasm is single-thread in Node).
//   MGE_WASM_THREADS=1 npx tsx --conditions=source src/wasm/infer-cpu.ts [--batch 256] [--runs 21]
import { noGrad, random, ready, setDefaultDevice, type Tensor, tensor, tidy } from '@mge/core';
import '@mge/kernels-wasm';
import { LeNet } from '@mge/models-zoo';
import * as tfc from '@tensorflow/tfjs-core';
import { tfjsLenet } from '../tfjs-lenet.js';
import { lcg } from './../webgpu/workloads.js';

const args = process.argv.slice(2);
const opt = (name: string, d: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : d);
const B = opt('batch', 256);
const RUNS = opt('runs', 21);

await ready(['wasm']);
setDefaultDevice('wasm');
random.seed(1);
const model = new LeNet();
const xi = tensor(lcg(B * 1024, 5), { shape: [B, 1, 32, 32] });
const ours = () => {
  const t = noGrad(() => tidy(() => model(xi) as Tensor));
  t.dataSync();
  t.dispose();
};
await import('@tensorflow/tfjs-backend-wasm');
await tfc.setBackend('wasm');
await tfc.ready();
const { forward } = tfjsLenet(tfc, lcg);
const tx = tfc.tensor4d(lcg(B * 1024, 5), [B, 32, 32, 1]);
const peer = () => {
  const t = tfc.tidy(() => forward(tx));
  t.dataSync();
  t.dispose();
};
const time = (f: () => void) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const w = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall: w };
};
for (let r = 0; r < 5; r++) {
  ours();
  peer();
}
const o: { cpu: number; wall: number }[] = [];
const p: { cpu: number; wall: number }[] = [];
for (let r = 0; r < RUNS; r++) {
  o.push(time(ours));
  p.push(time(peer));
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const line = (k: 'cpu' | 'wall') => {
  const mo = med(o.map((r) => r[k]));
  const mp = med(p.map((r) => r[k]));
  const no = Math.min(...o.map((r) => r[k]));
  const np = Math.min(...p.map((r) => r[k]));
  console.log(
    `${k.padEnd(4)} median: ours ${mo.toFixed(2)} ms, tfjs ${mp.toFixed(2)} ms → ${(mp / mo).toFixed(2)}×;  min: ours ${no.toFixed(2)}, tfjs ${np.toFixed(2)} → ${(np / no).toFixed(2)}×`,
  );
};
console.log(`LeNet inference b${B}, ${RUNS} alternated runs`);
line('cpu');
line('wall');
