import * as tf from '@tensorflow/tfjs-core';
import { type BenchConfig, convFlops, LENET_FWD_FLOPS, labels, lcg, type Workload } from './workloads.js';

/**
 * The peer: the same work written by hand in tfjs-core ops (NHWC, as tfjs prefers), run on
 * whichever tfjs backend is active (the page selects 'webgpu'). LeNet: conv 5×5 → relu →
 * maxPool 2 → conv 5×5 → relu → maxPool 2 → dense 400→120→84→10, softmax cross-entropy,
 * tf.variableGrads and plain SGD (lr 0.01), like our side.
 */
export function tfjsWorkloads(cfg: BenchConfig): Workload[] {
  const v = (shape: number[], fanIn: number, seed: number) =>
    tf.variable(tf.mul(tf.tensor(lcg(shape.reduce((a, b) => a * b, 1), seed), shape), 1 / Math.sqrt(fanIn)) as tf.Tensor);
  const p = {
    c1w: v([5, 5, 1, 6], 25, 1),
    c1b: tf.variable(tf.zeros([6])),
    c2w: v([5, 5, 6, 16], 150, 2),
    c2b: tf.variable(tf.zeros([16])),
    f1w: v([400, 120], 400, 3),
    f1b: tf.variable(tf.zeros([120])),
    f2w: v([120, 84], 120, 4),
    f2b: tf.variable(tf.zeros([84])),
    f3w: v([84, 10], 84, 5),
    f3b: tf.variable(tf.zeros([10])),
  };
  const forward = (x: tf.Tensor4D): tf.Tensor2D => {
    let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, p.c1w as tf.Tensor4D, 1, 'valid'), p.c1b)) as tf.Tensor4D, 2, 2, 'valid');
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, p.c2w as tf.Tensor4D, 1, 'valid'), p.c2b)) as tf.Tensor4D, 2, 2, 'valid');
    // NHWC flatten differs from NCHW's order; irrelevant for timing.
    let f = tf.reshape(h, [x.shape[0], 400]) as tf.Tensor2D;
    f = tf.relu(tf.add(tf.matMul(f, p.f1w as tf.Tensor2D), p.f1b));
    f = tf.relu(tf.add(tf.matMul(f, p.f2w as tf.Tensor2D), p.f2b));
    return tf.add(tf.matMul(f, p.f3w as tf.Tensor2D), p.f3b);
  };
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
      run: () => readAll(tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, 'same'), cdy)))([cx, cw])),
    },
  ];
}
