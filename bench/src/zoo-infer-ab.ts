// A/B of the traced inference path with and without the backend's prepared weights
// (`prepackConv2d`), and onnxruntime-node when the zoo bench has exported the model
// ($TMPDIR/mge-bench-zoo/<name>.onnx, same seed, same weights): timed in alternating rounds by
// process CPU time, which on a loaded machine at MGE_NUM_THREADS=1 is the time each side ran,
// not the time it waited for a core.
//   pnpm --filter @mge/bench exec tsx --conditions=source src/zoo-infer-ab.ts mobilenet_v2 [rounds] [runs] [batch]
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBackend, noGrad, random, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import { trace } from '@mge/jit';
import { cpuInfo } from '@mge/kernels-cpu';
import { createModel } from '@mge/models-zoo';
import * as ort from 'onnxruntime-node';
import { randomFloats } from './stats.js';

await ready();
setDefaultDevice('cpu');
random.seed(2);
const [name = 'mobilenet_v2', roundsArg = '5', runsArg = '10', batchArg = '1'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const rounds = Number(roundsArg);
const runs = Number(runsArg);
const batch = Number(batchArg);
const model = createModel(name).eval();
const eager = (t: Tensor) => noGrad(() => model(t) as Tensor);
const x = tensor(randomFloats(batch * 3 * 224 * 224, 9), { shape: [batch, 3, 224, 224] });
const backend = getBackend('cpu') as { prepackConv2d?: unknown };
const make = async (prepack: boolean) => {
  const saved = backend.prepackConv2d;
  if (!prepack) backend.prepackConv2d = undefined;
  const f = trace(eager, { captureAsConst: true, optimizeForInference: true });
  await f(x).data();
  await f(x).data();
  backend.prepackConv2d = saved;
  return f;
};
const variants: Record<string, (t: Tensor) => { data(): Promise<unknown> }> = {
  prepacked: await make(true),
  plain: await make(false),
};
const onnx = join(tmpdir(), 'mge-bench-zoo', `${name}.onnx`);
if (existsSync(onnx)) {
  const threads = cpuInfo().threads;
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const input = new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape as number[]);
  variants.onnxruntime = () => ({ data: () => session.run({ x: input }) });
}
const a = (await variants.prepacked(x).data()) as Float32Array;
const b = (await variants.plain(x).data()) as Float32Array;
// relative to the largest output (logits near 0 make elementwise relative differences meaningless)
let maxAbs = 0;
let scale = 0;
for (let i = 0; i < a.length; i++) {
  maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
  scale = Math.max(scale, Math.abs(b[i]));
}
const maxRel = maxAbs / scale;
// --wall: wall-clock time instead (threads > 1 on a quiet machine)
const wall = process.argv.includes('--wall');
const cpu = wall
  ? () => performance.now()
  : () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [k, f] of Object.entries(variants)) {
    const t0 = cpu();
    for (let i = 0; i < runs; i++) await f(x).data();
    times[k].push((cpu() - t0) / runs);
  }
}
const med = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];
const info = cpuInfo();
console.log(
  `${name} b${batch} traced (${info.isa}, ${info.threads} thread(s)), ${wall ? 'wall' : 'CPU'} ms per inference, ${rounds} alternated rounds of ${runs}:`,
);
for (const [k, v] of Object.entries(times)) console.log(`  ${k.padEnd(10)} median ${med(v).toFixed(2)}  min ${Math.min(...v).toFixed(2)}`);
console.log(
  `  plain / prepacked (medians): ${(med(times.plain) / med(times.prepacked)).toFixed(2)}×; outputs differ by ≤ ${maxRel.toExponential(1)} of the largest`,
);
if (times.onnxruntime)
  console.log(
    `  ours (prepacked) / onnxruntime, ${wall ? 'wall' : 'CPU'} time (medians): ${(med(times.prepacked) / med(times.onnxruntime)).toFixed(2)}×`,
  );
