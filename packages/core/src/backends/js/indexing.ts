// gather / scatterAdd / argsort / topk along one axis, viewing each buffer as [outer, n, inner].
import type { DataArray, DType } from '../../dtype.js';
import { allocArray } from '../../dtype.js';
import { contiguousStrides, sizeOf } from './layout.js';

/** Flat offset in `shape` of the element at index's flat position i with `axis` set to j. */
function offsets(indexShape: readonly number[], shape: readonly number[], axis: number): Int32Array {
  const n = sizeOf(indexShape);
  const out = new Int32Array(n);
  const st = contiguousStrides(shape);
  const idx = new Array(indexShape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < idx.length; d++) if (d !== axis) off += idx[d] * st[d];
    out[i] = off;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < indexShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

export function gather(
  x: DataArray,
  xShape: readonly number[],
  index: Int32Array,
  indexShape: readonly number[],
  axis: number,
  dtype: DType,
): DataArray {
  const base = offsets(indexShape, xShape, axis);
  const step = contiguousStrides(xShape)[axis];
  const n = xShape[axis];
  const out = allocArray(dtype, index.length);
  for (let i = 0; i < index.length; i++) {
    const j = index[i];
    out[i] = j >= 0 && j < n ? x[base[i] + j * step] : 0;
  }
  return out;
}

export function scatterAdd(
  x: DataArray,
  xShape: readonly number[],
  index: Int32Array,
  indexShape: readonly number[],
  src: DataArray,
  axis: number,
): DataArray {
  const base = offsets(indexShape, xShape, axis);
  const step = contiguousStrides(xShape)[axis];
  const n = xShape[axis];
  const out = x.slice();
  const isBool = out instanceof Uint8Array;
  for (let i = 0; i < index.length; i++) {
    const j = index[i];
    if (j < 0 || j >= n) continue;
    const at = base[i] + j * step;
    out[at] = isBool ? (out[at] || src[i] ? 1 : 0) : out[at] + src[i];
  }
  return out;
}

export function argsort(x: DataArray, shape: readonly number[], axis: number, descending: boolean): Int32Array {
  const n = shape[axis];
  const inner = contiguousStrides(shape)[axis];
  const outer = n === 0 ? 0 : x.length / (n * inner);
  const out = new Int32Array(x.length);
  const order = new Array<number>(n);
  // NaN sorts last either way, as NumPy's sort does
  const cmp = (a: number, b: number) => {
    const va = x[a];
    const vb = x[b];
    if (Number.isNaN(va) || Number.isNaN(vb)) return Number.isNaN(va) ? (Number.isNaN(vb) ? 0 : 1) : -1;
    return descending ? vb - va : va - vb;
  };
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const start = o * n * inner + k;
      for (let j = 0; j < n; j++) order[j] = start + j * inner;
      order.sort((a, b) => cmp(a, b) || a - b);
      for (let j = 0; j < n; j++) out[start + j * inner] = (order[j] - start) / inner;
    }
  }
  return out;
}

/**
 * argsort's first k along `axis` by partial selection: a sorted buffer of the best k seen so
 * far, which most elements leave after one comparison with its last entry (O(n) for small k);
 * a large k sorts the row instead.
 */
export function topk(x: DataArray, shape: readonly number[], k: number, axis: number, descending: boolean): Int32Array {
  const n = shape[axis];
  const inner = contiguousStrides(shape)[axis];
  const outer = x.length / (n * inner);
  const out = new Int32Array(outer * k * inner);
  const line = new Float64Array(n);
  const best = new Int32Array(k);
  // a before b in argsort's order: value (NaN last), then position
  const before = (a: number, b: number) => {
    const va = line[a];
    const vb = line[b];
    const na = Number.isNaN(va);
    const nb = Number.isNaN(vb);
    if (na || nb) return na && nb ? a < b : nb;
    if (va === vb) return a < b;
    return descending ? va > vb : va < vb;
  };
  const order: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < inner; c++) {
      const start = o * n * inner + c;
      for (let j = 0; j < n; j++) line[j] = x[start + j * inner];
      const dst = o * k * inner + c;
      if (k * 8 > n) {
        order.length = n;
        for (let j = 0; j < n; j++) order[j] = j;
        order.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
        for (let j = 0; j < k; j++) out[dst + j * inner] = order[j];
        continue;
      }
      let filled = 0;
      for (let j = 0; j < n; j++) {
        if (filled === k && !before(j, best[k - 1])) continue;
        let at = filled === k ? k - 1 : filled++;
        while (at > 0 && before(j, best[at - 1])) {
          best[at] = best[at - 1];
          at--;
        }
        best[at] = j;
      }
      for (let j = 0; j < k; j++) out[dst + j * inner] = best[j];
    }
  }
  return out;
}
