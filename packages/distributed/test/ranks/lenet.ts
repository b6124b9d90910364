// Run by ../lenet.test.ts: 20 SGD steps of LeNet, either data-parallel under mpirun (every rank
// reads its DistributedSampler shard) or in one process on the concatenated batches.
// Writes the final parameters to <outDir>/params-<rank|single>.bin.
import '@mge/kernels-cpu';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GradManager, random, tensor } from '@mge/core';
import { Mulberry32, RandomSampler } from '@mge/data';
import * as F from '@mge/functional';
import { LeNet } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';
import { broadcastParameters, DistributedSampler, getRank, getWorldSize, makeAllreduceCb } from '../../src/index.js';

const [mode, outDir] = process.argv.slice(2);
const STEPS = 20;
const PER_RANK = 4;
const distributed = mode === 'ddp';
const rank = distributed ? getRank() : 0;
const world = distributed ? getWorldSize() : Number(process.argv[4] ?? 2);
const batch = distributed ? PER_RANK : PER_RANK * world;
const N = STEPS * PER_RANK * world;

// the data set: N random 1×32×32 images with labels, the same on every rank
const rng = new Mulberry32(42);
const images = Float32Array.from({ length: N * 32 * 32 }, () => rng.nextUint32() / 2 ** 32 - 0.5);
const labels = Int32Array.from({ length: N }, () => rng.nextUint32() % 10);

// each rank initializes differently; broadcastParameters makes them rank 0's (seed 0 = single)
random.seed(rank);
const model = new LeNet();
if (distributed) broadcastParameters(model);

if (!distributed) writeFileSync(join(outDir, 'params-init.bin'), flat());

const gm = new GradManager().attach(model.parameters(), distributed ? { callbacks: [makeAllreduceCb('mean')] } : {});
const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
const order = distributed ? new DistributedSampler(N, { seed: 7 }).order() : new RandomSampler(N, { seed: 7 }).order();

for (let step = 0; step < STEPS; step++) {
  const idx = order.subarray(step * batch, (step + 1) * batch);
  const x = new Float32Array(batch * 32 * 32);
  const y = new Int32Array(batch);
  idx.forEach((s, j) => {
    x.set(images.subarray(s * 1024, (s + 1) * 1024), j * 1024);
    y[j] = labels[s];
  });
  gm.record();
  const loss = F.crossEntropy(model.forward(tensor(x, { shape: [batch, 1, 32, 32] })), tensor(y, { dtype: 'int32' }));
  gm.backward(loss);
  opt.step().clearGrad();
}

function flat(): Float32Array {
  const parts = [...model.parameters()].map((p) => p.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
writeFileSync(join(outDir, `params-${distributed ? rank : 'single'}.bin`), flat());
console.log(`${distributed ? `rank ${rank}` : 'single'}: ${STEPS} steps done`);
