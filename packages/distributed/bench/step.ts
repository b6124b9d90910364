// Training steps of `lenet` (1×32×32) or `resnet18` (CIFAR stem, 3×32×32, BatchNorm per rank) at
// a global batch of GLOBAL images: under mpirun each of N ranks takes GLOBAL/N (gradients
// all-reduced by makeAllreduceCb('mean')); alone, one process takes GLOBAL. Prints {ms per step,
// ms per step spent in the all-reduce callbacks, parameter count} as one JSON line (rank 0).
//   step.ts <lenet|resnet18> <GLOBAL> <STEPS>
import '@mge/kernels-cpu';
import { GradManager, random, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { LeNet, resnet18 } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';
import { broadcastParameters, getRank, getWorldSize, isDistributed, makeAllreduceCb } from '../src/index.js';

const MODEL = process.argv[2] ?? 'lenet';
const GLOBAL = Number(process.argv[3] ?? 64);
const STEPS = Number(process.argv[4] ?? 20);
if (MODEL !== 'lenet' && MODEL !== 'resnet18') throw new Error(`step.ts: model must be lenet or resnet18, got ${MODEL}`);
const C = MODEL === 'lenet' ? 1 : 3;
const world = getWorldSize();
const batch = GLOBAL / world;
random.seed(0);
const model = MODEL === 'lenet' ? new LeNet() : resnet18({ numClasses: 10, stem: 'cifar' });
if (isDistributed()) broadcastParameters(model);
let commMs = 0;
const reduce = makeAllreduceCb('mean');
const timed = (p: Tensor, g: Tensor) => {
  const t0 = performance.now();
  const out = reduce(p, g);
  commMs += performance.now() - t0;
  return out;
};
const gm = new GradManager().attach(model.parameters(), { callbacks: [timed] });
const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const x = tensor(
  new Float32Array(batch * C * 1024).map((_, i) => Math.sin(i)),
  { shape: [batch, C, 32, 32] },
);
const y = tensor(
  Int32Array.from({ length: batch }, (_, i) => i % 10),
  { dtype: 'int32' },
);
const step = () => {
  gm.record();
  gm.backward(F.crossEntropy(model(x), y));
  opt.step().clearGrad();
};
for (let i = 0; i < 2; i++) step();
commMs = 0;
const t0 = performance.now();
for (let i = 0; i < STEPS; i++) step();
const ms = (performance.now() - t0) / STEPS;
if (getRank() === 0) {
  const list = [...model.parameters()];
  const params = list.reduce((n, p) => n + p.size, 0);
  console.log(
    JSON.stringify({
      model: MODEL,
      world,
      batchPerRank: batch,
      msPerStep: ms,
      commMsPerStep: commMs / STEPS,
      params,
      tensors: list.length,
    }),
  );
}
