// LeNet training steps at a global batch of GLOBAL images: under mpirun each of N ranks takes
// GLOBAL/N (gradients all-reduced by makeAllreduceCb('mean')); alone, one process takes GLOBAL.
// Prints {ms per step, ms per step spent in the all-reduce callbacks} as one JSON line (rank 0).
import '@mge/kernels-cpu';
import { GradManager, random, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { LeNet } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';
import { broadcastParameters, getRank, getWorldSize, isDistributed, makeAllreduceCb } from '../src/index.js';

const GLOBAL = Number(process.argv[2] ?? 64);
const STEPS = Number(process.argv[3] ?? 20);
const world = getWorldSize();
const batch = GLOBAL / world;
random.seed(0);
const model = new LeNet();
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
const x = tensor(new Float32Array(batch * 1024).map((_, i) => Math.sin(i)), { shape: [batch, 1, 32, 32] });
const y = tensor(Int32Array.from({ length: batch }, (_, i) => i % 10), { dtype: 'int32' });
const step = () => {
  gm.record();
  gm.backward(F.crossEntropy(model.forward(x), y));
  opt.step().clearGrad();
};
for (let i = 0; i < 3; i++) step();
commMs = 0;
const t0 = performance.now();
for (let i = 0; i < STEPS; i++) step();
const ms = (performance.now() - t0) / STEPS;
if (getRank() === 0) {
  console.log(JSON.stringify({ kind: 'lenet', world, batchPerRank: batch, msPerStep: ms, commMsPerStep: commMs / STEPS }));
}
