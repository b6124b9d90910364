/** Max and average pooling forward and backward, with strides, padding and odd windows. */
import * as mge from '../../index.js';
import type { Case } from '../harness.js';
import { nd, slice } from '../nd.js';
import { pool2d } from '../reference-nn.js';

interface PoolSpec {
  x: number[];
  k: [number, number];
  s?: [number, number];
  p?: [number, number];
}

const SPECS: PoolSpec[] = [
  { x: [1, 1, 4, 4], k: [2, 2] },
  { x: [2, 3, 6, 6], k: [2, 2] },
  { x: [2, 2, 5, 5], k: [3, 3], s: [1, 1], p: [1, 1] },
  { x: [1, 2, 7, 6], k: [3, 3], s: [2, 2], p: [1, 1] },
  { x: [1, 3, 5, 8], k: [2, 3], s: [1, 2], p: [1, 1] },
  { x: [2, 1, 5, 5], k: [2, 2], s: [2, 2] },
  { x: [1, 1, 1, 1], k: [1, 1] },
  { x: [1, 2, 3, 3], k: [3, 3] },
];

const label = (s: PoolSpec) => `x[${s.x}] k=${s.k.join('×')} s=${(s.s ?? s.k).join('×')} p=${(s.p ?? [0, 0]).join('×')}`;

export function poolCases(): Record<string, Case[]> {
  const cases: Case[] = [];
  for (const op of ['max', 'avg'] as const) {
    const fn = op === 'max' ? mge.pool2dPrimitive.bind(null, 'max') : mge.pool2dPrimitive.bind(null, 'avg');
    for (const s of SPECS) {
      cases.push({
        name: `${op}Pool2d ${label(s)}`,
        // distinct values: a max pool's gradient is only defined without ties
        inputs: [{ shape: s.x, gen: op === 'max' ? 'distinct' : 'normal' }],
        run: ([x]) => fn(x, s.k, s.s ?? null, s.p ?? 0),
        ref: ([x]) => pool2d(op, x, s.k, s.s ?? s.k, s.p),
        grad: true,
      });
    }
    cases.push({
      name: `${op}Pool2d of a stepped view`,
      inputs: [{ shape: [1, 2, 8, 7], gen: op === 'max' ? 'distinct' : 'normal' }],
      run: ([x]) => fn(x.index({}, { step: -1 }, '::2'), 2, 2, 0),
      ref: ([x]) => pool2d(op, slice(x, [null, null], [null, null, -1], [null, null, 2]), [2, 2], [2, 2]),
      grad: true,
    });
  }
  cases.push(
    {
      name: 'maxPool2d: padding never wins over negative values',
      inputs: [{ shape: [1, 1, 2, 2], values: [-4, -3, -2, -1] }],
      run: ([x]) => mge.pool2dPrimitive('max', x, 2, 1, 1),
      expect: nd([1, 1, 3, 3], [-4, -3, -3, -2, -1, -1, -2, -1, -1]),
    },
    {
      name: 'avgPool2d divides by the non-padded cell count',
      inputs: [{ shape: [1, 1, 2, 2], values: [1, 2, 3, 4] }],
      run: ([x]) => mge.pool2dPrimitive('avg', x, 2, 1, 1),
      expect: nd([1, 1, 3, 3], [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]),
    },
    {
      name: 'pooling a batch of 0',
      inputs: [{ shape: [0, 2, 4, 4] }],
      run: ([x]) => mge.concat([mge.pool2dPrimitive('max', x, 2), mge.pool2dPrimitive('avg', x, 2)]),
      expect: nd([0, 2, 2, 2], []),
    },
    {
      name: 'maxPool2d hand-computed 2×2',
      inputs: [{ shape: [1, 1, 4, 4], values: [1, 5, 2, 0, 3, 4, 8, 1, 0, 0, 1, 1, 9, 0, 1, 2] }],
      run: ([x]) => mge.pool2dPrimitive('max', x, 2),
      expect: nd([1, 1, 2, 2], [5, 8, 9, 2]),
    },
  );
  return { pooling: cases };
}
