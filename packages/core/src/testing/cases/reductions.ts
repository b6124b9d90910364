/** sum/prod/max/min over axes, argmax/argmin, and mean/var/std/logsumexp built on them. */
import * as mge from '../../index.js';
import type { Tensor } from '../../tensor.js';
import type { Case } from '../harness.js';
import { argReduce, map, mean, type Nd, nd, reduce, slice, sum, transpose, zip } from '../nd.js';

type Red = 'sum' | 'prod' | 'max' | 'min';
const FOLD: Record<Red, [(a: number, v: number) => number, number]> = {
  sum: [(a, v) => a + v, 0],
  prod: [(a, v) => a * v, 1],
  max: [Math.max, -Infinity],
  min: [Math.min, Infinity],
};
const redFn = (op: Red) => mge[op] as (x: Tensor, axis?: mge.Axis, keepdims?: boolean) => Tensor;
const refRed = (op: Red, x: Nd, axes: number[] | null, keep: boolean) => reduce(x, axes, keep, FOLD[op][0], FOLD[op][1]);

const AXES: [number[] | null, boolean][] = [
  [null, false],
  [[0], false],
  [[1], true],
  [[-1], false],
  [[0, 2], false],
  [[0, 1, 2], true],
];

function variance(x: Nd, axes: number[] | null, keep: boolean, ddof = 0): Nd {
  const m = mean(x, axes, true);
  const d = zip(x, m, (a, b) => (a - b) ** 2);
  return reduce(
    d,
    axes,
    keep,
    (a, v) => a + v,
    0,
    (a, n) => a / (n - ddof),
    'float32',
  );
}

function logsumexp(x: Nd, axes: number[] | null, keep: boolean): Nd {
  return map(sum(map(x, Math.exp), axes, keep), Math.log);
}

export function reductionCases(): Record<string, Case[]> {
  const reduceCases: Case[] = [];
  for (const op of ['sum', 'prod', 'max', 'min'] as Red[]) {
    for (const [axes, keep] of AXES) {
      reduceCases.push({
        name: `${op} float32 [2,3,4] axis=${axes ? `[${axes}]` : 'all'} keepdims=${keep}`,
        // prod's gradient divides by x; max/min need distinct values
        inputs: [{ shape: [2, 3, 4], gen: op === 'sum' ? 'normal' : op === 'prod' ? 'positive' : 'distinct' }],
        run: ([x]) => redFn(op)(x, axes, keep),
        ref: ([x]) => refRed(op, x, axes, keep),
        grad: true,
      });
    }
    reduceCases.push(
      {
        name: `${op} int32 along axis 1`,
        inputs: [{ shape: [3, 5], gen: op === 'prod' ? 'smallint' : 'int' }],
        run: ([x]) => redFn(op)(x, 1),
        ref: ([x]) => refRed(op, x, [1], false),
      },
      {
        name: `${op} of a transposed stepped view`,
        inputs: [{ shape: [5, 4], gen: op === 'prod' ? 'positive' : 'distinct' }],
        run: ([x]) => redFn(op)(x.transpose().index({ step: 2 }, { step: -2 }), 0),
        ref: ([x]) => refRed(op, slice(transpose(x), [null, null, 2], [null, null, -2]), [0], false),
        grad: true,
      },
      {
        name: `${op} over a size-1 axis`,
        inputs: [{ shape: [3, 1], gen: 'distinct' }],
        run: ([x]) => redFn(op)(x, 1, true),
        ref: ([x]) => refRed(op, x, [1], true),
        grad: op !== 'prod',
      },
    );
  }
  reduceCases.push(
    {
      name: 'prod gradient with zero factors (one zero, two zeros, none)',
      inputs: [{ shape: [3, 3], values: [0, 2, 3, 1, 0, 0, 2, 3, 4] }],
      run: ([x]) => mge.prod(x, 1),
      ref: ([x]) => refRed('prod', x, [1], false),
      grad: true,
    },
    {
      name: 'sum of bool counts in int32',
      inputs: [{ shape: [4, 6], gen: 'bool' }],
      run: ([x]) => mge.sum(x, 1),
      ref: ([x]) => sum(x, [1], false, 'int32'),
    },
    {
      name: 'sum/prod over a zero-size axis give the identity',
      inputs: [{ shape: [0, 3] }],
      run: ([x]) => mge.stack([mge.sum(x, 0), mge.prod(x, 0)]),
      expect: nd([2, 3], [0, 0, 0, 1, 1, 1]),
    },
    {
      name: 'sum over a non-empty axis of a 0-size tensor stays 0-size',
      inputs: [{ shape: [0, 3] }],
      run: ([x]) => mge.sum(x, 1),
      expect: nd([0], []),
    },
    {
      name: 'max and min with ties',
      inputs: [{ shape: [4], values: [1, 3, 3, 2] }],
      run: ([x]) => mge.stack([mge.max(x), mge.min(x)]),
      expect: nd([2], [3, 1]),
    },
    {
      name: 'hand-computed sums of [[1,2,3],[4,5,6]]',
      inputs: [{ shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }],
      run: ([x]) => mge.concat([mge.sum(x, 0), mge.sum(x, 1), mge.prod(x, 1), mge.max(x, 0), mge.min(x, 1), mge.sum(x).reshape(1)]),
      expect: nd([13], [5, 7, 9, 6, 15, 6, 120, 4, 5, 6, 1, 4, 21]),
    },
  );

  const argCases: Case[] = [
    {
      name: 'argmax/argmin on every axis',
      inputs: [{ shape: [3, 4, 5], gen: 'distinct' }],
      run: ([x]) => mge.concat([0, 1, 2].flatMap((a) => [mge.argmax(x, a).flatten(), mge.argmin(x, a).flatten()])),
      ref: ([x]) =>
        nd(
          [2 * (20 + 15 + 12)],
          [0, 1, 2].flatMap((a) => [...argReduce(x, a, false, (v, b) => v > b).data, ...argReduce(x, a, false, (v, b) => v < b).data]),
          'int32',
        ),
    },
    {
      name: 'argmax/argmin pick the first of ties, keepdims',
      inputs: [{ shape: [2, 4], values: [1, 3, 3, 0, 2, 2, 2, 2] }],
      run: ([x]) => mge.concat([mge.argmax(x, 1, true), mge.argmin(x, 1, true)], 1),
      expect: nd([2, 2], [1, 3, 0, 0], 'int32'),
    },
    {
      name: 'argmax with no axis is over the flattened tensor',
      inputs: [{ shape: [3, 4], gen: 'distinct' }],
      run: ([x]) => mge.argmax(x),
      ref: ([x]) => argReduce(nd([12], x.data), 0, false, (v, b) => v > b),
    },
    {
      name: 'argmax of int32 and bool',
      inputs: [
        { shape: [3, 4], gen: 'int' },
        { shape: [3, 4], gen: 'bool' },
      ],
      run: ([a, b]) => mge.concat([mge.argmin(a, 1), mge.argmax(b, 1)]),
      ref: ([a, b]) => nd([6], [...argReduce(a, 1, false, (v, q) => v < q).data, ...argReduce(b, 1, false, (v, q) => v > q).data], 'int32'),
    },
    {
      name: 'argmin of a negative-step view',
      inputs: [{ shape: [4, 6], gen: 'distinct' }],
      run: ([x]) => mge.argmin(x.index({ step: -1 }, '1::2'), 0),
      ref: ([x]) => argReduce(slice(x, [null, null, -1], [1, null, 2]), 0, false, (v, b) => v < b),
    },
  ];

  const composite: Case[] = [
    {
      name: 'mean over axes and of int32',
      inputs: [{ shape: [2, 3, 4] }, { shape: [5], gen: 'int' }],
      run: ([x, i]) => mge.concat([mge.mean(x, [0, 2]), mge.mean(x, -1).flatten(), mge.mean(i).reshape(1)]),
      ref: ([x, i]) => nd([3 + 6 + 1], [...mean(x, [0, 2]).data, ...mean(x, [2]).data, ...mean(i).data]),
    },
    {
      name: 'var (biased) and std',
      inputs: [{ shape: [4, 5] }],
      run: ([x]) => mge.concat([mge.variance(x, 1), mge.std(x, 0), mge.variance(x).reshape(1), mge.variance(x, 1, false, 1)]),
      ref: ([x]) =>
        nd(
          [4 + 5 + 1 + 4],
          [
            ...variance(x, [1], false).data,
            ...map(variance(x, [0], false), Math.sqrt).data,
            ...variance(x, null, false).data,
            ...variance(x, [1], false, 1).data,
          ],
        ),
    },
    {
      name: 'logsumexp is stable for large inputs',
      inputs: [{ shape: [2, 3], values: [1000, 1001, 1002, -5, 0, 5] }],
      run: ([x]) => mge.logsumexp(x, 1),
      expect: nd([2], [1002 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), 5 + Math.log(1 + Math.exp(-5) + Math.exp(-10))]),
    },
    {
      name: 'logsumexp of all −∞ is −∞, with a +∞ is +∞',
      inputs: [{ shape: [2, 2], values: [-Infinity, -Infinity, Infinity, 0] }],
      run: ([x]) => mge.logsumexp(x, 1),
      expect: nd([2], [-Infinity, Infinity]),
    },
    {
      name: 'logsumexp over axes with keepdims',
      inputs: [{ shape: [3, 2, 4] }],
      run: ([x]) => mge.logsumexp(x, [0, 2], true),
      ref: ([x]) => logsumexp(x, [0, 2], true),
      grad: true,
    },
  ];
  return { reduce: reduceCases, 'argmax/argmin': argCases, 'mean/var/logsumexp': composite };
}
