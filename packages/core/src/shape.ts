/** Shape arithmetic shared by every operator. Errors name the operator that asked. */

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * Strides that read a contiguous array of `shape` as if it had `outShape`
 * (same rank; a size-1 dim broadcasts, so its stride is 0).
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = contiguousStrides(shape);
  for (let i = 0; i < shape.length; i++) if (shape[i] === 1 && outShape[i] !== 1) strides[i] = 0;
  return strides;
}

/**
 * An iteration space: `shape` walked in row-major order, each operand addressed
 * through its own strides. Produced by `planRows`, which drops size-1 dims and
 * merges neighbouring dims that every operand walks as one, so the innermost
 * row is as long as possible (the js kernels' loops) and most elementwise calls
 * run as rank 1 (one webgpu pipeline per rank).
 */
export interface RowPlan {
  shape: number[];
  /** strides[k][d] = step of operand k along dim d. */
  strides: number[][];
  /** Product of shape (0 if any dim is 0). */
  size: number;
}

export function planRows(shape: readonly number[], strides: readonly (readonly number[])[]): RowPlan {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  let size = 1;
  for (let d = 0; d < shape.length; d++) {
    size *= shape[d];
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    // Dim d folds into the previous kept dim when, for every operand, stepping
    // the previous dim once equals stepping d across its whole extent.
    const mergeable = last >= 0 && strides.every((s, k) => st[k][last] === s[d] * shape[d]);
    if (mergeable) {
      dims[last] *= shape[d];
      for (let k = 0; k < strides.length; k++) st[k][last] = strides[k][d];
    } else {
      dims.push(shape[d]);
      for (let k = 0; k < strides.length; k++) st[k].push(strides[k][d]);
    }
  }
  return { shape: dims, strides: st, size };
}

export function shapeToString(shape: Shape): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: shapes ${shapeToString(a)} and ${shapeToString(b)} cannot be broadcast together (dimension ${i}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Left-pads a shape with 1s to `rank` dims. */
export function padShape(shape: Shape, rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

/** Resolves a possibly negative axis; `arg` names the argument in the error. */
export function normalizeAxis(op: string, axis: number, ndim: number, arg = 'axis'): number {
  if (!Number.isInteger(axis)) throw new TypeError(`${op}: argument '${arg}' must be an integer, got ${String(axis)}`);
  const a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) {
    throw new RangeError(`${op}: argument '${arg}' must be in [${-ndim}, ${ndim - 1}] for a ${ndim}-d tensor, got ${axis}`);
  }
  return a;
}

/** Axes as a sorted unique list; undefined/null means all axes. */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  const sorted = [...new Set(out)].sort((x, y) => x - y);
  if (sorted.length !== out.length) throw new Error(`${op}: argument 'axis' repeats an axis: [${list.join(', ')}]`);
  return sorted;
}

export function checkShape(op: string, shape: unknown, arg = 'shape'): number[] {
  const list = typeof shape === 'number' ? [shape] : shape;
  if (!Array.isArray(list)) throw new TypeError(`${op}: argument '${arg}' must be an array of integers, got ${String(shape)}`);
  for (const d of list) {
    if (!Number.isInteger(d) || d < 0) {
      throw new TypeError(`${op}: argument '${arg}' must hold non-negative integers, got [${list.join(', ')}]`);
    }
  }
  return [...list];
}
