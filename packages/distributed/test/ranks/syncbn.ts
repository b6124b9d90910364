// Run by ../syncbn.test.ts: 20 SGD steps of a small conv net with SyncBatchNorm, either on 2 ranks
// (batch 4 each) or in one process (batch 8, where SyncBatchNorm is BatchNorm2d). Writes the
// final parameters and running statistics to <outDir>/syncbn-<rank|single>.bin.
import '@mge/kernels-cpu';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GradManager, random, type Tensor, tensor } from '@mge/core';
import { Mulberry32 } from '@mge/data';
import * as F from '@mge/functional';
import * as M from '@mge/module';
import { SGD } from '@mge/optimizer';
import { broadcastParameters, getRank, getWorldSize, makeAllreduceCb, SyncBatchNorm } from '../../src/index.js';

class Net extends M.Module {
  conv = new M.Conv2d(1, 4, 3, { padding: 1 });
  bn = new SyncBatchNorm(4);
  fc = new M.Linear(4 * 4 * 4, 10);
  forward(x: Tensor): Tensor {
    const h = F.maxPool2d(F.relu(this.bn(this.conv(x))), 2);
    return this.fc(F.flatten(h, 1));
  }
}

const [mode, outDir] = process.argv.slice(2);
const distributed = mode === 'ddp';
const rank = distributed ? getRank() : 0;
const world = distributed ? getWorldSize() : 2;
const STEPS = 20;
const PER_RANK = 4;
const batch = distributed ? PER_RANK : PER_RANK * world;
const rng = new Mulberry32(3);
const N = STEPS * PER_RANK * world;
const images = Float32Array.from({ length: N * 64 }, () => rng.nextUint32() / 2 ** 32 + 0.5); // mean ≠ 0
const labels = Int32Array.from({ length: N }, () => rng.nextUint32() % 10);

random.seed(rank);
const net = new Net();
if (distributed) broadcastParameters(net);
const gm = new GradManager().attach(net.parameters(), distributed ? { callbacks: [makeAllreduceCb('mean')] } : {});
const opt = new SGD(net.parameters(), { lr: 0.02, momentum: 0.9 });
for (let step = 0; step < STEPS; step++) {
  // global batch `step` holds samples step·8 … step·8+7; rank r takes the r-th half
  const first = step * PER_RANK * world + (distributed ? rank * PER_RANK : 0);
  const x = tensor(images.slice(first * 64, (first + batch) * 64), { shape: [batch, 1, 8, 8] });
  const y = tensor(labels.slice(first, first + batch), { dtype: 'int32' });
  gm.record();
  gm.backward(F.crossEntropy(net(x), y));
  opt.step().clearGrad();
}
const all = [...net.parameters(), ...net.buffers()].map((t) => Array.from(t.dataSync()));
writeFileSync(join(outDir, `syncbn-${distributed ? rank : 'single'}.bin`), Float32Array.from(all.flat()));
// eval mode uses the running statistics: the same on every rank
net.eval();
const probe = net(tensor(images.slice(0, 2 * 64), { shape: [2, 1, 8, 8] }));
console.log(`${distributed ? `rank ${rank}` : 'single'}: eval ${Array.from(probe.dataSync().slice(0, 2)).map((v) => v.toFixed(5))}`);
