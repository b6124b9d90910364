// Run by ../syncbn.test.ts: 20 SGD steps of a ResNet-18 (width 8, CIFAR stem) whose BatchNorm2d
// layers are converted to SyncBatchNorm, on 2 ranks × batch 2 or one process × batch 4. Writes
// the parameters and running statistics to <outDir>/resnet-<rank|single>.bin. The small lr keeps
// the comparison about the algorithm: with batches this small, 20 BatchNorm layers amplify float
// rounding (step 1 agrees to 4e-7; at lr 0.01 the runs drift apart by 1e-2 after 10 steps).
import '@mge/kernels-cpu';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GradManager, random, tensor } from '@mge/core';
import { Mulberry32 } from '@mge/data';
import * as F from '@mge/functional';
import { resnet18 } from '@mge/models-zoo';
import { SGD } from '@mge/optimizer';
import { broadcastParameters, convertSyncBatchNorm, getRank, getWorldSize, makeAllreduceCb, SyncBatchNorm } from '../../src/index.js';

const [mode, outDir] = process.argv.slice(2);
const distributed = mode === 'ddp';
const rank = distributed ? getRank() : 0;
const world = distributed ? getWorldSize() : 2;
const STEPS = 20;
const PER_RANK = 2;
const batch = distributed ? PER_RANK : PER_RANK * world;
const PIX = 3 * 16 * 16;
const rng = new Mulberry32(11);
const N = STEPS * PER_RANK * world;
const images = Float32Array.from({ length: N * PIX }, () => rng.nextUint32() / 2 ** 32 - 0.3);
const labels = Int32Array.from({ length: N }, () => rng.nextUint32() % 10);

random.seed(rank);
const net = convertSyncBatchNorm(resnet18({ numClasses: 10, width: 8, stem: 'cifar' }));
const syncLayers = [...net.modules()].filter((m) => m instanceof SyncBatchNorm).length;
if (distributed) broadcastParameters(net);
const dump = (name: string) =>
  writeFileSync(join(outDir, name), Float32Array.from([...net.parameters(), ...net.buffers()].flatMap((t) => Array.from(t.dataSync()))));
if (!distributed) dump('resnet-init.bin');
const gm = new GradManager().attach(net.parameters(), distributed ? { callbacks: [makeAllreduceCb('mean')] } : {});
const opt = new SGD(net.parameters(), { lr: 2e-4, momentum: 0.9 });
for (let step = 0; step < STEPS; step++) {
  const first = step * PER_RANK * world + (distributed ? rank * PER_RANK : 0);
  const x = tensor(images.slice(first * PIX, (first + batch) * PIX), { shape: [batch, 3, 16, 16] });
  const y = tensor(labels.slice(first, first + batch), { dtype: 'int32' });
  gm.record();
  gm.backward(F.crossEntropy(net(x), y));
  opt.step().clearGrad();
}
dump(`resnet-${distributed ? rank : 'single'}.bin`);
console.log(`${distributed ? `rank ${rank}` : 'single'}: ${syncLayers} SyncBatchNorm layers, ${STEPS} steps`);
