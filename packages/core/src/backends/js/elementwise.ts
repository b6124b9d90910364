import { type BinaryOp, COMPARISON_OPS, type UnaryOp } from '../../backend.js';
import { allocArray, type DataArray, type DType, dtypeOfArray } from '../../dtype.js';
import { BINARY, UNARY } from '../../elementwise/table.js';
import { broadcastStrides, contiguousStrides, forEachRow, innerStride, planRows, sizeOf } from './layout.js';

type Fn2 = (a: number, b: number) => number;

// The functions are the table's: results are computed in double and rounded by the store
// into the output typed array; for int32 that store wraps modulo 2^32, exactly like Int32Array.

function binaryFn(op: BinaryOp, dtype: DType): Fn2 {
  const row = BINARY[op];
  if (dtype === 'int32') return row.jsInt ?? row.js;
  const f = row.js;
  // Arithmetic on bools must still store 0/1 (true + true is true).
  if (dtype === 'bool' && !COMPARISON_OPS.has(op)) return (a, b) => (f(a, b) !== 0 ? 1 : 0);
  return f;
}

export function unary(op: UnaryOp, x: DataArray): DataArray {
  const row = UNARY[op];
  const f = row.js;
  const out = row.dtype === 'logical' ? new Uint8Array(x.length) : allocArray(dtypeOfArray(x), x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

export function binary(
  op: BinaryOp,
  a: DataArray,
  aShape: readonly number[],
  b: DataArray,
  bShape: readonly number[],
  outShape: readonly number[],
  dtype: DType,
): DataArray {
  const f = binaryFn(op, dtype);
  const size = sizeOf(outShape);
  const out = allocArray(COMPARISON_OPS.has(op) ? 'bool' : dtype, size);
  if (size === 0) return out;
  // Fast paths: no broadcasting at all, or one side is a single element.
  if (a.length === size && b.length === size) {
    for (let i = 0; i < size; i++) out[i] = f(a[i], b[i]);
  } else if (b.length === 1 && a.length === size) {
    const s = b[0];
    for (let i = 0; i < size; i++) out[i] = f(a[i], s);
  } else if (a.length === 1 && b.length === size) {
    const s = a[0];
    for (let i = 0; i < size; i++) out[i] = f(s, b[i]);
  } else {
    const plan = planRows(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape), contiguousStrides(outShape)]);
    const sa = innerStride(plan, 0);
    const sb = innerStride(plan, 1);
    forEachRow(plan, [0, 0, 0], (o, len) => {
      let ia = o[0];
      let ib = o[1];
      const end = o[2] + len;
      for (let io = o[2]; io < end; io++, ia += sa, ib += sb) out[io] = f(a[ia], b[ib]);
    });
  }
  return out;
}

export function where(
  cond: DataArray,
  condShape: readonly number[],
  a: DataArray,
  aShape: readonly number[],
  b: DataArray,
  bShape: readonly number[],
  outShape: readonly number[],
  dtype: DType,
): DataArray {
  const size = sizeOf(outShape);
  const out = allocArray(dtype, size);
  if (size === 0) return out;
  if (cond.length === size && a.length === size && b.length === size) {
    for (let i = 0; i < size; i++) out[i] = cond[i] ? a[i] : b[i];
    return out;
  }
  const plan = planRows(outShape, [
    broadcastStrides(condShape, outShape),
    broadcastStrides(aShape, outShape),
    broadcastStrides(bShape, outShape),
    contiguousStrides(outShape),
  ]);
  const sc = innerStride(plan, 0);
  const sa = innerStride(plan, 1);
  const sb = innerStride(plan, 2);
  forEachRow(plan, [0, 0, 0, 0], (o, len) => {
    let ic = o[0];
    let ia = o[1];
    let ib = o[2];
    const end = o[3] + len;
    for (let io = o[3]; io < end; io++, ic += sc, ia += sa, ib += sb) out[io] = cond[ic] ? a[ia] : b[ib];
  });
  return out;
}

/**
 * float → int32 truncates toward zero and saturates (NaN → 0; see core's testing/cases/cast.ts);
 * anything → bool is `x != 0` (NaN is true).
 */
export function cast(x: DataArray, to: DType): DataArray {
  const out = allocArray(to, x.length);
  if (to === 'bool') {
    for (let i = 0; i < x.length; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else if (to === 'int32' && x instanceof Float32Array) {
    for (let i = 0; i < x.length; i++) out[i] = saturateInt32(x[i]);
  } else {
    out.set(x);
  }
  return out;
}

/** The one float → int32 rule of every backend: truncate toward zero, clamp to int32, NaN → 0. */
export function saturateInt32(v: number): number {
  if (v >= 2147483647) return 2147483647;
  if (v <= -2147483648) return -2147483648;
  return Number.isNaN(v) ? 0 : Math.trunc(v);
}
