/**
 * conv2d forward and both backward kernels (through the gradient check), with
 * stride, padding, dilation, groups, non-square kernels and odd sizes.
 */
import * as mge from '../../index.js';
import type { Case } from '../harness.js';
import { nd, transpose } from '../nd.js';
import { type ConvArgs, conv2d } from '../reference-nn.js';

interface ConvSpec {
  x: number[];
  w: number[];
  args?: ConvArgs;
  grad?: boolean;
}

const SPECS: ConvSpec[] = [
  { x: [1, 1, 5, 5], w: [1, 1, 3, 3] },
  { x: [2, 3, 6, 5], w: [4, 3, 3, 3], args: { padding: [1, 1] } },
  { x: [2, 2, 7, 7], w: [3, 2, 3, 3], args: { stride: [2, 2] } },
  { x: [1, 2, 8, 9], w: [2, 2, 3, 3], args: { dilation: [2, 2], padding: [2, 2] } },
  { x: [2, 4, 5, 5], w: [6, 2, 3, 3], args: { groups: 2, padding: [1, 1] } },
  { x: [1, 4, 6, 6], w: [4, 1, 3, 3], args: { groups: 4, stride: [2, 2], padding: [1, 1] } },
  { x: [2, 3, 6, 7], w: [2, 3, 2, 3], args: { stride: [2, 1], padding: [0, 2] } },
  { x: [1, 3, 4, 4], w: [5, 3, 1, 1] },
  { x: [3, 2, 3, 3], w: [2, 2, 3, 3] },
  { x: [1, 1, 1, 1], w: [1, 1, 1, 1] },
  { x: [1, 2, 5, 6], w: [3, 2, 2, 2], args: { stride: [3, 2], padding: [1, 0], dilation: [1, 2] } },
  { x: [1, 6, 7, 7], w: [4, 3, 3, 2], args: { groups: 2, stride: [2, 1], padding: [1, 1], dilation: [2, 1] } },
  // large enough to exercise blocked/tiled paths; forward only (the gradient check is O(n²))
  { x: [2, 8, 12, 11], w: [16, 8, 3, 3], args: { padding: [1, 1] }, grad: false },
  { x: [1, 16, 9, 9], w: [8, 4, 5, 5], args: { groups: 4, padding: [2, 2], stride: [2, 2] }, grad: false },
];

const describeArgs = (a: ConvArgs = {}) =>
  Object.entries(a)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('×') : v}`)
    .join(' ');

export function convCases(): Record<string, Case[]> {
  const cases: Case[] = SPECS.map((s) => ({
    name: `conv2d x[${s.x}] w[${s.w}] ${describeArgs(s.args)}`,
    inputs: [{ shape: s.x }, { shape: s.w }],
    run: ([x, w]) => mge.conv2dPrimitive(x, w, s.args ?? {}),
    ref: ([x, w]) => conv2d(x, w, s.args),
    grad: s.grad ?? true,
    // float32 sums of up to ~200 products
    tolerance: s.grad === false ? { rtol: 1e-4, atol: 5e-5 } : undefined,
  }));
  cases.push(
    {
      name: 'conv2d hand-computed: 3×3 arange with a 2×2 box filter',
      inputs: [
        { shape: [1, 1, 3, 3], values: [0, 1, 2, 3, 4, 5, 6, 7, 8] },
        { shape: [1, 1, 2, 2], values: [1, 1, 1, 1] },
      ],
      run: ([x, w]) => mge.conv2dPrimitive(x, w),
      expect: nd([1, 1, 2, 2], [8, 12, 20, 24]),
    },
    {
      name: 'conv2d hand-computed: padding is zeros',
      inputs: [
        { shape: [1, 1, 2, 2], values: [1, 2, 3, 4] },
        { shape: [1, 1, 3, 3], values: [0, 0, 0, 0, 1, 0, 0, 0, 2] },
      ],
      run: ([x, w]) => mge.conv2dPrimitive(x, w, { padding: 1 }),
      expect: nd([1, 1, 2, 2], [1 + 8, 2, 3, 4]),
    },
    {
      name: 'conv2d of a non-contiguous input (NHWC data transposed to NCHW)',
      inputs: [{ shape: [2, 5, 5, 3] }, { shape: [4, 3, 3, 3] }],
      run: ([x, w]) => mge.conv2dPrimitive(mge.transpose(x, [0, 3, 1, 2]), w, { padding: 1 }),
      ref: ([x, w]) => conv2d(transpose(x, [0, 3, 1, 2]), w, { padding: [1, 1] }),
      grad: true,
    },
    {
      name: 'conv2d with a batch of 0',
      inputs: [{ shape: [0, 2, 4, 4] }, { shape: [3, 2, 3, 3] }],
      run: ([x, w]) => mge.conv2dPrimitive(x, w),
      expect: nd([0, 3, 2, 2], []),
    },
  );
  return { conv2d: cases };
}
