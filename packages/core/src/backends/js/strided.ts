import { allocArray, type DataArray, type DType } from '../../dtype.js';
import { contiguousStrides, forEachRow, innerStride, planRows, sizeOf } from './layout.js';

/** Rows shorter than this are copied element by element; longer ones with `set`, which is a memcpy. */
const MEMCPY_MIN = 16;

/** Copies `len` elements from src (step srcStride) to dst (step dstStride). */
function copyRow(dst: DataArray, dstOff: number, dstStride: number, src: DataArray, srcOff: number, srcStride: number, len: number): void {
  if (srcStride === 1 && dstStride === 1 && len >= MEMCPY_MIN) {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff);
    return;
  }
  for (let j = 0; j < len; j++, srcOff += srcStride, dstOff += dstStride) dst[dstOff] = src[srcOff];
}

/** The one gather kernel: out[i0..ik] = x[offset + Σ ij·strides[j]] (strides may be 0 or negative). */
export function strided(x: DataArray, outShape: readonly number[], strides: readonly number[], offset: number, dtype: DType): DataArray {
  const size = sizeOf(outShape);
  const out = allocArray(dtype, size);
  const plan = planRows(outShape, [strides, contiguousStrides(outShape)]);
  const sx = innerStride(plan, 0);
  const so = innerStride(plan, 1);
  forEachRow(plan, [offset, 0], (o, len) => copyRow(out, o[1], so, x, o[0], sx, len));
  return out;
}

export interface Part {
  data: DataArray;
  shape: readonly number[];
}

/** Each input contributes one contiguous block to every row of the output's leading dims. */
export function concat(xs: readonly Part[], axis: number, outShape: readonly number[], dtype: DType): DataArray {
  const out = allocArray(dtype, sizeOf(outShape));
  const outer = sizeOf(outShape.slice(0, axis));
  const inner = sizeOf(outShape.slice(axis + 1));
  const outRow = outShape[axis] * inner;
  let col = 0;
  for (const { data, shape } of xs) {
    const row = shape[axis] * inner;
    for (let b = 0; b < outer; b++) copyRow(out, b * outRow + col, 1, data, b * row, 1, row);
    col += row;
  }
  return out;
}

/** Constant padding: fill with `value`, then copy x's rows into the interior. */
export function pad(
  x: DataArray,
  shape: readonly number[],
  pads: readonly (readonly [number, number])[],
  value: number,
  dtype: DType,
): DataArray {
  const outShape = shape.map((d, i) => d + pads[i][0] + pads[i][1]);
  const out = allocArray(dtype, sizeOf(outShape));
  out.fill(dtype === 'bool' ? (value !== 0 ? 1 : 0) : value);
  const outStrides = contiguousStrides(outShape);
  let base = 0;
  for (let i = 0; i < shape.length; i++) base += pads[i][0] * outStrides[i];
  // Size-1 dims drop out of the plan, so the innermost row may step through out non-contiguously.
  const plan = planRows(shape, [outStrides, contiguousStrides(shape)]);
  const so = innerStride(plan, 0);
  const sx = innerStride(plan, 1);
  forEachRow(plan, [base, 0], (o, len) => copyRow(out, o[0], so, x, o[1], sx, len));
  return out;
}
