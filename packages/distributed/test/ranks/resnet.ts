// Run by ../syncbn.test.ts: 20 SGD steps of a ResNet-18 (width 8, CIFAR stem) whose BatchNorm2d
// layers are converted to SyncBatchNorm, on 2 ranks × batch 2 or one process × batch 4. Writes
// the parameters and running statistics to <outDir>/resnet-<rank|single>.bin. The default lr 2e-4
// keeps 20 steps within 1e-6; at lr 0.01 (MGE_RESNET_LR) 20 BatchNorm layers over batches this
// small amplify float rounding, in one process as much as across ranks (see ../syncbn.test.ts).
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
const opt = new SGD(net.parameters(), { lr: Number(process.env.MGE_RESNET_LR ?? 2e-4), momentum: 0.9 });
// MGE_RESNET_ORDER=reversed: the single process sees each batch's samples in reverse order, which
// changes nothing but the order of float sums (the drift experiment in ../syncbn.test.ts)
const reversed = process.env.MGE_RESNET_ORDER === 'reversed';
const dumpAt = new Set((process.env.MGE_RESNET_DUMP ?? '').split(',').filter(Boolean).map(Number));
for (let step = 0; step < STEPS; step++) {
  const first = step * PER_RANK * world + (distributed ? rank * PER_RANK : 0);
  const order = Array.from({ length: batch }, (_, j) => first + (reversed ? batch - 1 - j : j));
  const xs = new Float32Array(batch * PIX);
  order.forEach((s, j) => {
    xs.set(images.subarray(s * PIX, (s + 1) * PIX), j * PIX);
  });
  const x = tensor(xs, { shape: [batch, 3, 16, 16] });
  const y = tensor(
    Int32Array.from(order, (s) => labels[s]),
    { dtype: 'int32' },
  );
  gm.record();
  gm.backward(F.crossEntropy(net(x), y));
  opt.step().clearGrad();
  if (dumpAt.has(step + 1)) dump(`resnet-${distributed ? rank : 'single'}${reversed ? '-reversed' : ''}-${step + 1}.bin`);
}
dump(`resnet-${distributed ? rank : 'single'}.bin`);
console.log(`${distributed ? `rank ${rank}` : 'single'}: ${syncLayers} SyncBatchNorm layers, ${STEPS} steps`);
