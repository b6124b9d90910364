/**
 * A tiny float64 n-d array for the conformance suite's reference values. It shares
 * no code with core or any backend on purpose: the suite compares each backend
 * against arithmetic done independently, in double precision, the obvious way.
 */
import type { DType } from '../dtype.js';

export interface Nd {
  readonly shape: readonly number[];
  readonly data: Float64Array;
  readonly dtype: DType;
}

export function nd(shape: readonly number[], values: ArrayLike<number>, dtype: DType = 'float32'): Nd {
  const size = shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) throw new Error(`nd: shape [${shape.join(', ')}] needs ${size} values, got ${values.length}`);
  return { shape: [...shape], data: Float64Array.from(values), dtype };
}

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Multi-index of flat position `flat` in `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = shape[i] === 0 ? 0 : flat % shape[i];
    flat = shape[i] === 0 ? 0 : Math.floor(flat / shape[i]);
  }
  return idx;
}

/** Builds an array by calling `f` with each output multi-index. */
export function build(shape: readonly number[], dtype: DType, f: (idx: number[]) => number): Nd {
  const size = sizeOfShape(shape);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) data[i] = f(unravel(i, shape));
  return { shape: [...shape], data, dtype };
}

export function at(x: Nd, idx: readonly number[]): number {
  let off = 0;
  let s = 1;
  for (let i = x.shape.length - 1; i >= 0; i--) {
    off += idx[i] * s;
    s *= x.shape[i];
  }
  return x.data[off];
}

/** Converts values as storing them in `dtype` would: int32 truncates and wraps, bool is x ≠ 0. */
export function asDType(x: Nd, dtype: DType): Nd {
  const conv =
    dtype === 'int32' ? (v: number) => Math.trunc(v) | 0 : dtype === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : (v: number) => v;
  return { shape: x.shape, data: x.data.map(conv), dtype };
}

export function map(x: Nd, f: (v: number) => number, dtype: DType = x.dtype): Nd {
  return asDType({ shape: x.shape, data: x.data.map(f), dtype }, dtype);
}

export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = i - (rank - s.length) >= 0 ? s[i - (rank - s.length)] : 1;
      if (v !== 1) {
        if (d !== 1 && d !== v) throw new Error(`reference: shapes do not broadcast: ${shapes.map((q) => `[${q}]`).join(' ')}`);
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

/** Value of x at output index `idx` under NumPy broadcasting. */
function atBroadcast(x: Nd, idx: readonly number[]): number {
  const lead = idx.length - x.shape.length;
  let off = 0;
  let s = 1;
  for (let i = x.shape.length - 1; i >= 0; i--) {
    off += (x.shape[i] === 1 ? 0 : idx[i + lead]) * s;
    s *= x.shape[i];
  }
  return x.data[off];
}

export function zip(a: Nd, b: Nd, f: (x: number, y: number) => number, dtype: DType = a.dtype): Nd {
  const shape = broadcastShape(a.shape, b.shape);
  return asDType(
    build(shape, dtype, (i) => f(atBroadcast(a, i), atBroadcast(b, i))),
    dtype,
  );
}

export function where(c: Nd, a: Nd, b: Nd): Nd {
  const shape = broadcastShape(c.shape, a.shape, b.shape);
  return build(shape, a.dtype, (i) => (atBroadcast(c, i) !== 0 ? atBroadcast(a, i) : atBroadcast(b, i)));
}

export function broadcastTo(x: Nd, shape: readonly number[]): Nd {
  return build(shape, x.dtype, (i) => atBroadcast(x, i));
}

export function scalar(v: number, dtype: DType = 'float32'): Nd {
  return nd([], [v], dtype);
}

/**
 * Reduces `axes` with `op` (fold from `init`), keeping them as size 1 when keepdims.
 * `finish(acc, count)` post-processes each result (e.g. dividing for a mean).
 */
export function reduce(
  x: Nd,
  axes: readonly number[] | null,
  keepdims: boolean,
  op: (acc: number, v: number) => number,
  init: number,
  finish: (acc: number, count: number) => number = (a) => a,
  dtype: DType = x.dtype,
): Nd {
  const ax = (axes ?? x.shape.map((_, i) => i)).map((a) => (a < 0 ? a + x.shape.length : a));
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const count = sizeOfShape(ax.map((a) => x.shape[a]));
  const acc = new Float64Array(sizeOfShape(kept)).fill(init);
  const ks = stridesOf(kept);
  for (let f = 0; f < x.data.length; f++) {
    const idx = unravel(f, x.shape);
    let o = 0;
    for (let i = 0; i < idx.length; i++) if (!ax.includes(i)) o += idx[i] * ks[i];
    acc[o] = op(acc[o], x.data[f]);
  }
  const out = acc.map((a) => finish(a, count));
  const shape = keepdims ? kept : x.shape.filter((_, i) => !ax.includes(i));
  return asDType({ shape, data: out, dtype }, dtype);
}

export const sum = (x: Nd, axes: readonly number[] | null = null, keepdims = false, dtype?: DType): Nd =>
  reduce(x, axes, keepdims, (a, v) => a + v, 0, undefined, dtype ?? x.dtype);
export const mean = (x: Nd, axes: readonly number[] | null = null, keepdims = false): Nd =>
  reduce(
    x,
    axes,
    keepdims,
    (a, v) => a + v,
    0,
    (a, n) => a / n,
    'float32',
  );

/** Index of the first extremum along `axis` (better(v, best) says v wins). */
export function argReduce(x: Nd, axis: number, keepdims: boolean, better: (v: number, best: number) => boolean): Nd {
  const a = axis < 0 ? axis + x.shape.length : axis;
  const outShape = x.shape.map((d, i) => (i === a ? 1 : d));
  const r = build(outShape, 'int32', (idx) => {
    let best = 0;
    for (let k = 1; k < x.shape[a]; k++) {
      const i1 = [...idx];
      i1[a] = k;
      const i0 = [...idx];
      i0[a] = best;
      if (better(at(x, i1), at(x, i0))) best = k;
    }
    return best;
  });
  return keepdims
    ? r
    : reshape(
        r,
        x.shape.filter((_, i) => i !== a),
      );
}

export function reshape(x: Nd, shape: readonly number[]): Nd {
  if (sizeOfShape(shape) !== x.data.length) throw new Error(`reference reshape: [${x.shape}] to [${shape}]`);
  return { shape: [...shape], data: x.data, dtype: x.dtype };
}

export function transpose(x: Nd, perm?: readonly number[]): Nd {
  const p = perm ?? x.shape.map((_, i) => x.shape.length - 1 - i);
  return build(
    p.map((a) => x.shape[a]),
    x.dtype,
    (idx) => {
      const src = new Array<number>(idx.length);
      p.forEach((a, i) => {
        src[a] = idx[i];
      });
      return at(x, src);
    },
  );
}

/** The indices Python's range(start, stop, step) over a sequence of length n would visit for x[start:stop:step]. */
export function sliceIndices(n: number, start: number | null, stop: number | null, step = 1): number[] {
  const out: number[] = [];
  if (step > 0) {
    let b = start === null ? 0 : start < 0 ? Math.max(0, start + n) : Math.min(start, n);
    const e = stop === null ? n : stop < 0 ? Math.max(0, stop + n) : Math.min(stop, n);
    for (; b < e; b += step) out.push(b);
  } else {
    let b = start === null ? n - 1 : start < 0 ? start + n : Math.min(start, n - 1);
    const e = stop === null ? -1 : stop < 0 ? Math.max(-1, stop + n) : stop;
    for (; b > e; b += step) if (b >= 0) out.push(b);
  }
  return out;
}

/** Gathers the given indices along one axis (the general form of slicing and flipping). */
export function take(x: Nd, axis: number, indices: readonly number[]): Nd {
  const shape = [...x.shape];
  shape[axis] = indices.length;
  return build(shape, x.dtype, (idx) => {
    const src = [...idx];
    src[axis] = indices[idx[axis]];
    return at(x, src);
  });
}

/** x[s0, s1, ...] where each entry is an integer (axis dropped) or [start, stop, step] (nulls allowed). */
export function slice(x: Nd, ...specs: (number | [number | null, number | null, number?])[]): Nd {
  let y = x;
  const drop: number[] = [];
  specs.forEach((s, axis) => {
    if (typeof s === 'number') {
      y = take(y, axis, [s < 0 ? s + x.shape[axis] : s]);
      drop.push(axis);
    } else {
      y = take(y, axis, sliceIndices(x.shape[axis], s[0], s[1], s[2] ?? 1));
    }
  });
  return reshape(
    y,
    y.shape.filter((_, i) => !drop.includes(i)),
  );
}

export function concat(xs: readonly Nd[], axis: number): Nd {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  return build(shape, xs[0].dtype, (idx) => {
    let k = idx[axis];
    for (const x of xs) {
      if (k < x.shape[axis]) {
        const src = [...idx];
        src[axis] = k;
        return at(x, src);
      }
      k -= x.shape[axis];
    }
    throw new Error('unreachable');
  });
}

export function pad(x: Nd, pads: readonly (readonly [number, number])[], value = 0): Nd {
  const shape = x.shape.map((d, i) => d + (pads[i]?.[0] ?? 0) + (pads[i]?.[1] ?? 0));
  return build(shape, x.dtype, (idx) => {
    const src = idx.map((v, i) => v - (pads[i]?.[0] ?? 0));
    return src.every((v, i) => v >= 0 && v < x.shape[i]) ? at(x, src) : value;
  });
}
