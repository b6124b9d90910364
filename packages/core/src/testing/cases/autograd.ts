/**
 * Gradients of common compositions (what functional and module build on), each
 * checked against central differences of a float64 reference.
 */
import { unaryReference } from '../../elementwise/table.js';
import * as mge from '../../index.js';
import type { Tensor } from '../../tensor.js';
import type { Case } from '../harness.js';
import { broadcastTo, concat, map, mean, type Nd, pad, reduce, reshape, slice, sum, transpose, where, zip } from '../nd.js';
import { conv2d, matmul, pool2d } from '../reference-nn.js';

const add = (a: Nd, b: Nd) => zip(a, b, (x, y) => x + y);
const sub = (a: Nd, b: Nd) => zip(a, b, (x, y) => x - y);
const mul = (a: Nd, b: Nd) => zip(a, b, (x, y) => x * y);
const div = (a: Nd, b: Nd) => zip(a, b, (x, y) => x / y);
const relu = (a: Nd) => map(a, (v) => Math.max(v, 0));

function softmaxRef(x: Nd, axis: number): Nd {
  const e = map(x, Math.exp);
  return div(e, sum(e, [axis], true));
}
function softmax(x: Tensor, axis: number): Tensor {
  const e = mge.exp(mge.sub(x, mge.max(x, axis, true).detach()));
  return mge.div(e, mge.sum(e, axis, true));
}
function varianceRef(x: Nd, axes: number[], keep: boolean): Nd {
  const d = sub(x, mean(x, axes, true));
  return reduce(
    mul(d, d),
    axes,
    keep,
    (a, v) => a + v,
    0,
    (a, n) => a / n,
    'float32',
  );
}

export function autogradCases(): Record<string, Case[]> {
  const cases: Case[] = [
    {
      name: 'mean over all and over an axis',
      inputs: [{ shape: [3, 4] }],
      run: ([x]) => mge.add(mge.mean(x), mge.mean(x, 1, true)),
      ref: ([x]) => add(mean(x), mean(x, [1], true)),
      grad: true,
    },
    {
      name: 'var over axes [0, 2]',
      inputs: [{ shape: [2, 3, 4] }],
      run: ([x]) => mge.variance(x, [0, 2]),
      ref: ([x]) => varianceRef(x, [0, 2], false),
      grad: true,
    },
    {
      name: 'std (sqrt of var)',
      inputs: [{ shape: [3, 5] }],
      run: ([x]) => mge.std(x, 1),
      ref: ([x]) => map(varianceRef(x, [1], false), Math.sqrt),
      grad: true,
    },
    {
      name: 'logsumexp along the last axis',
      inputs: [{ shape: [4, 6] }],
      run: ([x]) => mge.logsumexp(x, -1),
      ref: ([x]) => map(sum(map(x, Math.exp), [1]), Math.log),
      grad: true,
    },
    {
      name: 'softmax via exp/sum (max subtracted, detached)',
      inputs: [{ shape: [3, 5] }],
      run: ([x]) => softmax(x, 1),
      ref: ([x]) => softmaxRef(x, 1),
      grad: true,
    },
    {
      name: 'log-softmax + pick by one-hot mask (cross-entropy shape)',
      inputs: [{ shape: [4, 5] }, { shape: [4, 5], values: [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0], grad: false }],
      run: ([x, onehot]) => mge.neg(mge.mean(mge.sum(mge.mul(mge.sub(x, mge.logsumexp(x, 1, true)), onehot), 1))),
      ref: ([x, onehot]) => {
        const lse = map(sum(map(x, Math.exp), [1], true), Math.log);
        return map(mean(sum(mul(sub(x, lse), onehot), [1])), (v) => -v);
      },
      grad: true,
    },
    {
      name: 'matmul with transposes and batch broadcast, then a reduction',
      inputs: [{ shape: [2, 1, 4, 3] }, { shape: [3, 5, 4] }],
      run: ([a, b]) => mge.sum(mge.matmul(a, b, true, true), [1, 3]),
      ref: ([a, b]) => sum(matmul(a, b, true, true), [1, 3]),
      grad: true,
    },
    {
      name: 'two-layer MLP: matmul + bias + relu + matmul + mean',
      inputs: [{ shape: [4, 6] }, { shape: [6, 5] }, { shape: [5] }, { shape: [5, 3] }],
      run: ([x, w1, b1, w2]) => mge.mean(mge.matmul(mge.relu(mge.add(mge.matmul(x, w1), b1)), w2), 0),
      ref: ([x, w1, b1, w2]) => mean(matmul(relu(add(matmul(x, w1), b1)), w2), [0]),
      grad: true,
    },
    {
      name: 'conv2d (stride, padding, dilation, groups) + bias + relu + maxPool + linear',
      inputs: [{ shape: [2, 4, 7, 7] }, { shape: [4, 2, 3, 3] }, { shape: [1, 4, 1, 1] }, { shape: [16, 3] }],
      run: ([x, w, b, fc]) => {
        const h = mge.relu(mge.add(mge.conv2dPrimitive(x, w, { stride: 1, padding: 2, dilation: 2, groups: 2 }), b));
        const p = mge.pool2dPrimitive('max', h, 3, 2, 1);
        return mge.matmul(p.reshape(2, -1).index({}, ':16'), fc);
      },
      ref: ([x, w, b, fc]) => {
        const h = relu(add(conv2d(x, w, { padding: [2, 2], dilation: [2, 2], groups: 2 }), b));
        const p = pool2d('max', h, [3, 3], [2, 2], [1, 1]);
        return matmul(slice(reshape(p, [2, p.data.length / 2]), [null, null], [null, 16]), fc);
      },
      grad: true,
    },
    {
      name: 'avgPool2d then mean (global pooling)',
      inputs: [{ shape: [2, 3, 5, 5] }],
      run: ([x]) => mge.mean(mge.pool2dPrimitive('avg', x, 3, 2, 1), [2, 3]),
      ref: ([x]) => mean(pool2d('avg', x, [3, 3], [2, 2], [1, 1]), [2, 3]),
      grad: true,
    },
    {
      name: 'index with steps and negative steps inside a product',
      inputs: [{ shape: [6, 6] }],
      run: ([x]) => mge.mul(x.index('::2', '1::2'), x.index('1::2', { step: -2 })),
      ref: ([x]) => mul(slice(x, [null, null, 2], [1, null, 2]), slice(x, [1, null, 2], [null, null, -2])),
      grad: true,
    },
    {
      name: 'concat of a tensor with a function of itself',
      inputs: [{ shape: [2, 3] }],
      run: ([x]) => mge.concat([x, mge.mul(x, x), mge.exp(x)], 1),
      ref: ([x]) => concat([x, mul(x, x), map(x, Math.exp)], 1),
      grad: true,
    },
    {
      name: 'pad then conv (explicit padding equals conv padding)',
      inputs: [{ shape: [1, 2, 4, 4] }, { shape: [3, 2, 3, 3] }],
      run: ([x, w]) =>
        mge.conv2dPrimitive(
          mge.pad(x, [
            [0, 0],
            [0, 0],
            [1, 1],
            [1, 1],
          ]),
          w,
        ),
      ref: ([x, w]) =>
        conv2d(
          pad(x, [
            [0, 0],
            [0, 0],
            [1, 1],
            [1, 1],
          ]),
          w,
        ),
      grad: true,
    },
    {
      name: 'where with broadcasting inside a loss',
      inputs: [{ shape: [3, 4] }, { shape: [4] }],
      run: ([x, t]) => mge.sum(mge.where(mge.gt(x, 0), mge.mul(x, t), mge.mul(mge.exp(x), 0.5))),
      ref: ([x, t]) =>
        sum(
          where(
            map(x, (v) => +(v > 0), 'bool'),
            mul(x, t),
            map(x, (v) => 0.5 * Math.exp(v)),
          ),
        ),
      grad: true,
    },
    {
      name: 'a tensor used many times (x·x + x / y − x.T@x)',
      inputs: [{ shape: [3, 3] }, { shape: [3, 3], gen: 'positive' }],
      run: ([x, y]) => mge.sub(mge.add(mge.mul(x, x), mge.div(x, y)), mge.matmul(x.transpose(), x)),
      ref: ([x, y]) => sub(add(mul(x, x), div(x, y)), matmul(transpose(x), x)),
      grad: true,
    },
    {
      name: 'clip, abs, pow and sqrt chained',
      inputs: [{ shape: [10] }],
      run: ([x]) => mge.sqrt(mge.add(mge.pow(mge.abs(x.clip(-0.8, 1.2)), 3), 1)),
      ref: ([x]) => map(x, (v) => Math.sqrt(Math.abs(Math.min(Math.max(v, -0.8), 1.2)) ** 3 + 1)),
      grad: true,
    },
    {
      name: 'broadcastTo, then reduce over the broadcast axis',
      inputs: [{ shape: [3, 1] }, { shape: [1, 4] }],
      run: ([a, b]) => mge.max(mge.mul(mge.broadcastTo(a, [3, 4]), b), 0),
      ref: ([a, b]) => reduce(mul(broadcastTo(a, [3, 4]), b), [0], false, Math.max, -Infinity),
      grad: true,
    },
    {
      name: 'sigmoid / tanh / erf (GELU-like) composition',
      inputs: [{ shape: [8], gen: 'unit' }],
      run: ([x]) => mge.mul(mge.mul(x, 0.5), mge.add(mge.erf(mge.div(x, Math.SQRT2)), mge.tanh(mge.sigmoid(x)))),
      ref: ([x]) => {
        const erf = unaryReference('erf');
        return map(x, (v) => 0.5 * v * (erf(v / Math.SQRT2) + Math.tanh(1 / (1 + Math.exp(-v)))));
      },
      grad: true,
    },
    {
      name: 'gradient does not flow through an int32 cast',
      inputs: [{ shape: [4] }],
      run: ([x]) => mge.add(mge.mul(x, 2), x.astype('int32').astype('float32')),
      ref: ([x]) =>
        add(
          map(x, (v) => 2 * v),
          map(x, Math.trunc),
        ),
      grad: true,
    },
    {
      name: 'gradient of a 0-size branch is zero-size',
      inputs: [{ shape: [3, 0] }, { shape: [3, 2] }],
      run: ([a, b]) => mge.concat([a, b], 1),
      ref: ([a, b]) => concat([a, b], 1),
      grad: true,
    },
  ];
  return { 'autograd compositions': cases };
}
