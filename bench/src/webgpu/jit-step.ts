// jit.trace on webgpu: the LeNet training step (MegEngine's network-building guide examples) at
// batch 64, traced vs eager, alternated in the same run; prints one JSON line with both medians,
// the ratio and the adapter. The loss is read after every step (one GPU round trip each).
//   tsx --conditions=source src/webgpu/jit-step.ts [batch=64] [steps=5]
import { cpus } from 'node:os';
import { GradManager, getBackend, random, ready, setDefaultDevice, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { trace } from '@mge/jit';
import '@mge/kernels-webgpu';
import { LeNet } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';

const [batchArg = '64', stepsArg = '5'] = process.argv.slice(2);
const b = Number(batchArg);
const steps = Number(stepsArg);
await ready();
setDefaultDevice('webgpu');

function stepOf(): (x: Tensor, y: Tensor) => Tensor {
  random.seed(1);
  const model = new LeNet();
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  model.train();
  return (x, y) => {
    gm.record();
    const loss = F.crossEntropy(model(x) as Tensor, y);
    gm.backward(loss);
    opt.step().clearGrad();
    return loss;
  };
}

random.seed(3);
const x = random.normal(0, 1, [b, 1, 32, 32]);
const y = tensor(
  Array.from({ length: b }, (_, i) => (i * 7) % 10),
  { dtype: 'int32' },
);
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const times: Record<string, number[]> = { eager: [], traced: [] };
for (const traced of [false, true, false, true]) {
  const plain = stepOf();
  const step = traced ? trace(plain, { symbolic: true }) : plain;
  // warm-up: pipelines compiled; a trace records on its first call and checks on its second
  for (let i = 0; i < 2; i++) await step(x, y).data();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await step(x, y).data();
    times[traced ? 'traced' : 'eager'].push(performance.now() - t0);
  }
}
const rt = (getBackend('webgpu') as unknown as { runtime: { stats: { submits: number } } }).runtime;
const eager = median(times.eager);
const traced = median(times.traced);
console.log(
  JSON.stringify({
    workload: `lenet train step b${b}`,
    eagerMs: eager,
    tracedMs: traced,
    speedup: eager / traced,
    times,
    submits: rt.stats.submits,
    cpu: cpus()[0]?.model,
  }),
);
process.exit(0);
