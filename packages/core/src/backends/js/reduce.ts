import type { ArgReduceOp, ReduceOp } from '../../backend.js';
import { allocArray, type DataArray, type DType } from '../../dtype.js';
import { contiguousStrides, forEachRow, innerStride, planRows, sizeOf } from './layout.js';

type Combine = (acc: number, v: number) => number;

const COMBINE_FLOAT: Record<ReduceOp, Combine> = {
  sum: (acc, v) => acc + v,
  prod: (acc, v) => acc * v,
  max: Math.max, // NaN-propagating, as np.max
  min: Math.min,
};

// int32 accumulators wrap at every step, like an Int32Array accumulator would.
const COMBINE_INT32: Record<ReduceOp, Combine> = {
  sum: (acc, v) => (acc + v) | 0,
  prod: Math.imul,
  max: Math.max,
  min: Math.min,
};

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function identity(op: ReduceOp, dtype: DType): number {
  switch (op) {
    case 'sum':
      return 0;
    case 'prod':
      return 1;
    case 'max':
      return dtype === 'int32' ? INT32_MIN : -Infinity;
    case 'min':
      return dtype === 'int32' ? INT32_MAX : Infinity;
  }
}

/**
 * Reduces `axes` keeping them as size 1. x is walked once in memory order;
 * each element is folded into its output slot. When the reduced axes are the
 * trailing ones the plan collapses to rows of contiguous input folded into one
 * scalar each, which is the fast path. Float sums accumulate in double.
 */
export function reduce(op: ReduceOp, x: DataArray, shape: readonly number[], axes: readonly number[], dtype: DType): DataArray {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outSize = sizeOf(outShape);
  const f = dtype === 'int32' ? COMBINE_INT32[op] : COMBINE_FLOAT[op];
  const acc = new Float64Array(outSize).fill(identity(op, dtype));
  const outStrides = contiguousStrides(outShape).map((s, i) => (axes.includes(i) ? 0 : s));
  const plan = planRows(shape, [contiguousStrides(shape), outStrides]);
  const so = innerStride(plan, 1);
  forEachRow(plan, [0, 0], (o, len) => {
    const start = o[0];
    const end = start + len;
    if (so === 0) {
      let a = acc[o[1]];
      for (let i = start; i < end; i++) a = f(a, x[i]);
      acc[o[1]] = a;
    } else {
      for (let i = start, j = o[1]; i < end; i++, j++) acc[j] = f(acc[j], x[i]);
    }
  });
  const out = allocArray(dtype, outSize);
  out.set(acc);
  return out;
}

/**
 * Index of the first max/min along `axis` (NaN counts as the extreme, as in
 * NumPy: the first NaN wins). The scan runs over all inner positions at once so
 * memory is read sequentially.
 */
export function argReduce(op: ArgReduceOp, x: DataArray, shape: readonly number[], axis: number): Int32Array {
  const outer = sizeOf(shape.slice(0, axis));
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Int32Array(outer * inner);
  if (len === 0) return out;
  const best = new Float64Array(inner);
  const isMax = op === 'argmax';
  for (let b = 0; b < outer; b++) {
    const base = b * len * inner;
    const outBase = b * inner;
    for (let i = 0; i < inner; i++) best[i] = x[base + i];
    for (let k = 1; k < len; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) {
        const v = x[row + i];
        const cur = best[i];
        const wins = isMax ? v > cur : v < cur;
        if (wins || (Number.isNaN(v) && !Number.isNaN(cur))) {
          best[i] = v;
          out[outBase + i] = k;
        }
      }
    }
  }
  return out;
}
