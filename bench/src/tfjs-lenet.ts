import type * as tfc from '@tensorflow/tfjs-core';

/**
 * The peers' LeNet: the zoo's network written by hand in tfjs-core ops, NHWC as tfjs prefers —
 * conv 5×5 → relu → maxPool 2 → conv 5×5 → relu → maxPool 2 → dense 400→120→84→10. Weights are
 * `values(n, seed)` scaled by 1/√fanIn; biases start at zero. Flattening NHWC instead of NCHW
 * orders the 400 features differently, which does not change the work.
 */
export function tfjsLenet(tf: typeof tfc, values: (n: number, seed: number) => Float32Array) {
  const v = (shape: number[], fanIn: number, seed: number) =>
    tf.variable(
      tf.mul(
        tf.tensor(
          values(
            shape.reduce((a, b) => a * b, 1),
            seed,
          ),
          shape,
        ),
        1 / Math.sqrt(fanIn),
      ),
    );
  const params = {
    c1w: v([5, 5, 1, 6], 25, 1) as tfc.Variable<tfc.Rank.R4>,
    c1b: tf.variable(tf.zeros([6])),
    c2w: v([5, 5, 6, 16], 150, 2) as tfc.Variable<tfc.Rank.R4>,
    c2b: tf.variable(tf.zeros([16])),
    f1w: v([400, 120], 400, 3) as tfc.Variable<tfc.Rank.R2>,
    f1b: tf.variable(tf.zeros([120])),
    f2w: v([120, 84], 120, 4) as tfc.Variable<tfc.Rank.R2>,
    f2b: tf.variable(tf.zeros([84])),
    f3w: v([84, 10], 84, 5) as tfc.Variable<tfc.Rank.R2>,
    f3b: tf.variable(tf.zeros([10])),
  };
  const forward = (x: tfc.Tensor4D): tfc.Tensor2D => {
    let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, params.c1w, 1, 'valid'), params.c1b)) as tfc.Tensor4D, 2, 2, 'valid');
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, params.c2w, 1, 'valid'), params.c2b)) as tfc.Tensor4D, 2, 2, 'valid');
    const f = tf.reshape(h, [x.shape[0], 400]) as tfc.Tensor2D;
    const a = tf.relu(tf.add(tf.matMul(f, params.f1w), params.f1b)) as tfc.Tensor2D;
    const b = tf.relu(tf.add(tf.matMul(a, params.f2w), params.f2b)) as tfc.Tensor2D;
    return tf.add(tf.matMul(b, params.f3w), params.f3b) as tfc.Tensor2D;
  };
  return { params, forward };
}
