import * as tf from '@tensorflow/tfjs-core';
import { tfjsLenet } from '../tfjs-lenet.js';
import { type BenchConfig, convFlops, LENET_FWD_FLOPS, labels, lcg, type Workload } from './workloads.js';

/**
 * The peer: the same work in tfjs-core ops, run on whichever tfjs backend is active (the page
 * selects 'webgpu'). LeNet is ../tfjs-lenet.ts with softmax cross-entropy, tf.variableGrads and
 * plain SGD (lr 0.01), like our side.
 */
export function tfjsWorkloads(cfg: BenchConfig): Workload[] {
  const { forward } = tfjsLenet(tf, lcg);
  const opt = tf.train.sgd(0.01);
  const B = cfg.lenetBatch;
  const x = tf.tensor4d(lcg(B * 1024, 3), [B, 32, 32, 1]);
  const y = tf.oneHot(tf.tensor1d(labels(B, 4), 'int32'), 10);
  const xi = tf.tensor4d(lcg(cfg.inferBatch * 1024, 5), [cfg.inferBatch, 32, 32, 1]);
  const n = cfg.matmulN;
  const a = tf.tensor2d(lcg(n * n, 6), [n, n]);
  const b = tf.tensor2d(lcg(n * n, 7), [n, n]);
  const c = cfg.conv;
  const cx = tf.tensor4d(lcg(c.n * c.c * c.h * c.w, 8), [c.n, c.h, c.w, c.c]);
  const cw = tf.tensor4d(lcg(c.o * c.c * c.k * c.k, 9), [c.k, c.k, c.c, c.o]);
  const cdy = tf.tensor4d(lcg(c.n * c.o * c.h * c.w, 10), [c.n, c.h, c.w, c.o]);
  const readAll = async (ts: tf.Tensor[]) => {
    const out = await Promise.all(ts.map((t) => t.data()));
    for (const t of ts) t.dispose();
    return out;
  };
  return [
    {
      name: `LeNet train step b${B}`,
      flops: 3 * B * LENET_FWD_FLOPS,
      run: async () => {
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar);
        opt.applyGradients(grads);
        tf.dispose(grads);
        return readAll([value]);
      },
    },
    {
      name: `LeNet inference b${cfg.inferBatch}`,
      flops: cfg.inferBatch * LENET_FWD_FLOPS,
      run: () => readAll([tf.tidy(() => forward(xi))]),
    },
    { name: `matmul ${n}³`, flops: 2 * n ** 3, run: () => readAll([tf.matMul(a, b)]) },
    {
      name: `conv2d fwd ${c.n}×${c.c}×${c.h}×${c.w} k${c.k}→${c.o}`,
      flops: convFlops(c),
      run: () => readAll([tf.conv2d(cx, cw, 1, 'same')]),
    },
    {
      name: `conv2d fwd+bwd (dx, dw)`,
      flops: 3 * convFlops(c),
      run: () =>
        readAll(
          tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, 'same'), cdy)))([
            cx,
            cw,
          ]),
        ),
    },
  ];
}
