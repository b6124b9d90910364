/** Batched matmul with transposes, batch broadcasting, 1-D operands and odd sizes. */
import * as mge from '../../index.js';
import type { Case } from '../harness.js';
import { broadcastTo, slice, transpose } from '../nd.js';
import { matmul } from '../reference-nn.js';

interface MM {
  a: number[];
  b: number[];
  ta?: boolean;
  tb?: boolean;
  grad?: boolean;
}

const SHAPES: MM[] = [
  { a: [3, 4], b: [4, 5] },
  { a: [4, 3], b: [4, 5], ta: true },
  { a: [3, 4], b: [5, 4], tb: true },
  { a: [4, 3], b: [5, 4], ta: true, tb: true },
  { a: [2, 3, 4], b: [2, 4, 5] },
  { a: [2, 4, 3], b: [2, 5, 4], ta: true, tb: true },
  { a: [2, 1, 3, 4], b: [3, 4, 2] },
  { a: [3, 4], b: [2, 4, 5] },
  { a: [2, 3, 4], b: [4, 5], tb: false },
  { a: [1, 3, 4], b: [3, 4, 2] },
  { a: [2, 3, 4], b: [1, 2, 4], tb: true },
  { a: [4], b: [4, 3] },
  { a: [3, 4], b: [4] },
  { a: [4], b: [4] },
  { a: [2, 3, 4], b: [4] },
  { a: [1, 1], b: [1, 1] },
  { a: [1, 7], b: [7, 1] },
  { a: [7, 1], b: [1, 6] },
  { a: [3, 0], b: [0, 4] },
  { a: [0, 3], b: [3, 2] },
  // sizes that straddle typical block/tile sizes (4, 8, 16, 32, 64)
  { a: [33, 65], b: [65, 17], grad: false },
  { a: [2, 17, 9], b: [9, 31], ta: false, grad: false },
  { a: [70, 5], b: [70, 3], ta: true, grad: false },
];

const label = (s: MM) => `[${s.a}]${s.ta ? 'ᵀ' : ''} @ [${s.b}]${s.tb ? 'ᵀ' : ''}`;

export function matmulCases(): Record<string, Case[]> {
  const cases: Case[] = SHAPES.map((s) => ({
    name: `matmul ${label(s)}`,
    inputs: [{ shape: s.a }, { shape: s.b }],
    run: ([a, b]) => mge.matmul(a, b, s.ta ?? false, s.tb ?? false),
    ref: ([a, b]) => matmul(a, b, s.ta ?? false, s.tb ?? false),
    grad: s.grad ?? true,
  }));
  cases.push(
    {
      name: 'matmul of transposed views (non-contiguous operands)',
      inputs: [{ shape: [4, 3] }, { shape: [2, 5, 4] }],
      run: ([a, b]) => mge.matmul(a.transpose(), mge.transpose(b, [0, 2, 1])),
      ref: ([a, b]) => matmul(transpose(a), transpose(b, [0, 2, 1])),
      grad: true,
    },
    {
      name: 'matmul of a stepped slice and a broadcast operand',
      inputs: [{ shape: [6, 4] }, { shape: [4, 1] }],
      run: ([a, b]) => mge.matmul(a.index('::2'), mge.broadcastTo(b, [4, 3])),
      ref: ([a, b]) => matmul(slice(a, [null, null, 2]), broadcastTo(b, [4, 3])),
      grad: true,
    },
    {
      name: 'matmul of int32 operands is rejected',
      inputs: [{ shape: [2, 2], gen: 'int' }],
      run: ([a]) => {
        try {
          mge.matmul(a, a);
        } catch (e) {
          if (/matmul/.test(String(e)) && /float32/.test(String(e)) && /int32/.test(String(e))) return mge.zeros([1], { device: a.device });
          throw e;
        }
        throw new Error('matmul accepted int32 operands');
      },
      expect: { shape: [1], data: new Float64Array(1), dtype: 'float32' },
    },
  );
  return { matmul: cases };
}
