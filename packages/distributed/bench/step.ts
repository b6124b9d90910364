// Training steps of `lenet` (1×32×32) or `resnet18` (CIFAR stem, 3×32×32, BatchNorm per rank) at
// a global batch of GLOBAL images. Alone, one process takes GLOBAL. Under mpirun each of N ranks
// takes GLOBAL/N and runs three variants in alternating rounds (so the machine's other load hits
// them alike):
//   none     no all-reduce (what the ranks compute, while competing for the cores)
//   after    makeAllreduceCb('mean', { overlap: false }): buckets all-reduced after backward
//   overlap  makeAllreduceCb('mean'): each bucket's MPI_Iallreduce starts when it is full, during backward
// Prints one JSON line (rank 0) with the median ms per step of each variant and the callback's stats.
//   step.ts <lenet|resnet18> <GLOBAL> <STEPS per round> <ROUNDS>
import '@mge/kernels-cpu';
import { GradManager, random, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { LeNet, resnet18 } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';
import { type AllreduceCallback, broadcastParameters, getRank, getWorldSize, isDistributed, makeAllreduceCb } from '../src/index.js';

const MODEL = process.argv[2] ?? 'lenet';
const GLOBAL = Number(process.argv[3] ?? 64);
const STEPS = Number(process.argv[4] ?? 10);
const ROUNDS = Number(process.argv[5] ?? 3);
if (MODEL !== 'lenet' && MODEL !== 'resnet18') throw new Error(`step.ts: model must be lenet or resnet18, got ${MODEL}`);
const C = MODEL === 'lenet' ? 1 : 3;
const world = getWorldSize();
const batch = GLOBAL / world;
random.seed(0);
const model = MODEL === 'lenet' ? new LeNet() : resnet18({ numClasses: 10, stem: 'cifar' });
if (isDistributed()) broadcastParameters(model);
const params = [...model.parameters()];
const opt = new SGD(params, { lr: 0.01, momentum: 0.9 });
const x = tensor(
  new Float32Array(batch * C * 1024).map((_, i) => Math.sin(i)),
  { shape: [batch, C, 32, 32] },
);
const y = tensor(
  Int32Array.from({ length: batch }, (_, i) => i % 10),
  { dtype: 'int32' },
);

interface Variant {
  name: string;
  gm: GradManager;
  cb?: AllreduceCallback;
  times: number[];
  callbackMs: number;
}
function variant(name: string, cb?: AllreduceCallback): Variant {
  const v: Variant = { name, gm: new GradManager(), cb, times: [], callbackMs: 0 };
  // the time inside the callbacks: copies into the buckets, starting all-reduces, MPI_Test
  const timed = (p: Tensor, g: Tensor) => {
    const t0 = performance.now();
    const out = (cb as AllreduceCallback)(p, g);
    v.callbackMs += performance.now() - t0;
    return out;
  };
  v.gm.attach(params, cb ? { callbacks: [timed] } : {});
  return v;
}
const variants = isDistributed()
  ? [variant('none'), variant('after', makeAllreduceCb('mean', undefined, { overlap: false })), variant('overlap', makeAllreduceCb('mean'))]
  : [variant('alone')];

const step = (v: Variant) => {
  v.gm.record();
  v.gm.backward(F.crossEntropy(model(x), y));
  opt.step().clearGrad();
};
for (const v of variants) step(v); // warm-up
for (const v of variants) {
  v.callbackMs = 0;
  if (v.cb) Object.assign(v.cb.stats, { steps: 0, buckets: 0, startedDuringBackward: 0, bytes: 0, inPlace: 0, waitMs: 0 });
}
for (let r = 0; r < ROUNDS; r++) {
  for (const v of variants) {
    for (let i = 0; i < STEPS; i++) {
      const t0 = performance.now();
      step(v);
      v.times.push(performance.now() - t0);
    }
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
if (getRank() === 0) {
  const out: Record<string, unknown> = {
    model: MODEL,
    world,
    batchPerRank: batch,
    params: params.reduce((n, p) => n + p.size, 0),
    tensors: params.length,
  };
  for (const v of variants) {
    const n = v.times.length;
    const s = v.cb?.stats;
    out[v.name] = {
      msPerStep: median(v.times),
      callbackMsPerStep: v.callbackMs / n,
      waitMsPerStep: s ? s.waitMs / n : 0,
      bucketsPerStep: s ? s.buckets / n : 0,
      startedDuringBackwardPerStep: s ? s.startedDuringBackward / n : 0,
      bytesPerStep: s ? s.bytes / n : 0,
      inPlacePerStep: s ? s.inPlace / n : 0,
    };
  }
  console.log(JSON.stringify(out));
}
