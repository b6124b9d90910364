// Run by ../buckets.test.ts under mpirun: makeAllreduceCb's bucketed, overlapped all-reduce gives
// exactly the gradients of a plain per-tensor allReduceMean after backward, for several bucket
// sizes, with and without overlap, and reports how many buckets started during backward.
import '@mge/kernels-cpu';
import { GradManager, random, type Tensor, tensor } from '@mge/core';
import { Mulberry32 } from '@mge/data';
import * as F from '@mge/functional';
import { LeNet } from '@mge/models-zoo';
import { type AllreduceCbOptions, broadcastParameters, functional as D, getRank, getWorldSize, makeAllreduceCb } from '../../src/index.js';

const rank = getRank();
const size = getWorldSize();
random.seed(rank);
const model = new LeNet();
broadcastParameters(model);
const params = [...model.parameters()];

// a different batch on every rank
const rng = new Mulberry32(100 + rank);
const B = 4;
const x = tensor(
  Float32Array.from({ length: B * 32 * 32 }, () => rng.nextUint32() / 2 ** 32 - 0.5),
  { shape: [B, 1, 32, 32] },
);
const y = tensor(
  Int32Array.from({ length: B }, () => rng.nextUint32() % 10),
  { dtype: 'int32' },
);

function gradients(gm: GradManager): Float32Array[] {
  for (const p of params) p.grad = null;
  gm.record();
  gm.backward(F.crossEntropy(model.forward(x) as Tensor, y));
  return params.map((p) => (p.grad as Tensor).dataSync() as Float32Array);
}

// the reference: local gradients, then one blocking allReduceMean per tensor
const local = gradients(new GradManager().attach(params));
const want = params.map((p, i) => D.allReduceMean(tensor(local[i], { shape: p.shape })).dataSync() as Float32Array);

const configs: [string, 'mean' | 'sum', AllreduceCbOptions][] = [
  ['default (4 MiB, overlap)', 'mean', {}],
  ['16 KiB buckets, overlap', 'mean', { bucketBytes: 16384 }],
  ['one message per gradient', 'mean', { bucketBytes: 0 }],
  ['16 KiB buckets, no overlap', 'mean', { bucketBytes: 16384, overlap: false }],
  ['sum, 16 KiB buckets', 'sum', { bucketBytes: 16384 }],
  // every gradient fills a bucket: each is all-reduced in place in its own buffer
  ['in place (4-byte buckets), no overlap', 'mean', { bucketBytes: 4, overlap: false }],
];
for (const [name, method, options] of configs) {
  const cb = makeAllreduceCb(method, undefined, options);
  const gm = new GradManager().attach(params, { callbacks: cb });
  for (let rep = 0; rep < 2; rep++) {
    const got = gradients(gm);
    got.forEach((g, i) => {
      for (let k = 0; k < g.length; k++) {
        const w = method === 'sum' ? want[i][k] * size : want[i][k];
        if (g[k] !== w) throw new Error(`${name}: parameter ${i} element ${k} is ${g[k]}, expected ${w}`);
      }
    });
  }
  const s = cb.stats;
  console.log(
    `rank ${rank}: ${name}: equal; ${s.buckets / s.steps} buckets/step, ${s.startedDuringBackward / s.steps} started during backward, ${s.inPlace / s.steps} in place`,
  );
}
