import { operators } from '../autograd/operators.js';
import { recordOp } from '../autograd/tape.js';
import { checkInt32Arg } from '../limits.js';
import { broadcastShapes, checkShape, contiguousStrides, normalizeAxis, shapesEqual, shapeToString, sizeOf } from '../shape.js';
import { type Tensor, view } from '../tensor.js';
import { zeros } from './creation.js';
import { assertTensor, commonDevice, runKernel } from './engine.js';

/** Reshape (never copies); one dimension may be -1. */
/** The same values with no gradient history. */
export function detach(x: Tensor): Tensor {
  return view(x, x.shape);
}

export function reshape(x: Tensor, shape: readonly number[] | number): Tensor {
  assertTensor('reshape', x, 'x');
  const target = typeof shape === 'number' ? [shape] : [...shape];
  const unknown = target.filter((d) => d === -1).length;
  if (unknown > 1) throw new Error(`reshape: at most one dimension may be -1, got ${shapeToString(target)}`);
  for (const d of target) {
    if (!Number.isInteger(d) || d < -1)
      throw new TypeError(`reshape: argument 'shape' must hold integers ≥ -1, got ${shapeToString(target)}`);
  }
  if (unknown === 1) {
    const known = sizeOf(target.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) {
      throw new Error(`reshape: cannot reshape ${shapeToString(x.shape)} (${x.size} elements) into ${shapeToString(target)}`);
    }
    target[target.indexOf(-1)] = x.size / known;
  }
  if (sizeOf(target) !== x.size) {
    throw new Error(`reshape: cannot reshape ${shapeToString(x.shape)} (${x.size} elements) into ${shapeToString(target)}`);
  }
  if (shapesEqual(target, x.shape)) return x;
  const y = view(x, target);
  recordOp([x], y, (dy) => [reshape(dy, x.shape)]);
  return y;
}

/** The one gather kernel behind every transpose, expand, slice and flip. */
function strided(op: string, x: Tensor, shape: number[], strides: number[], offset: number): Tensor {
  return runKernel(op, [x], shape, x.dtype, (k) => k.strided(x.ref(op), shape, strides, offset));
}

/** MegEngine's transpose(pattern) / permute; no pattern reverses the axes. */
export function transpose(x: Tensor, pattern?: readonly number[]): Tensor {
  assertTensor('transpose', x, 'x');
  const perm = pattern ? pattern.map((a) => normalizeAxis('transpose', a, x.ndim, 'pattern')) : [...x.shape.keys()].reverse();
  if (perm.length !== x.ndim || new Set(perm).size !== perm.length) {
    throw new Error(`transpose: argument 'pattern' must be a permutation of ${x.ndim} axes, got [${pattern?.join(', ')}]`);
  }
  if (perm.every((p, i) => p === i)) return x;
  const src = contiguousStrides(x.shape);
  const y = strided(
    'transpose',
    x,
    perm.map((p) => x.shape[p]),
    perm.map((p) => src[p]),
    0,
  );
  const inverse = perm.map((_, i) => perm.indexOf(i));
  recordOp([x], y, (dy) => [transpose(dy, inverse)]);
  return y;
}
export const permute = transpose;

/** Swaps the last two axes (matrix transpose of a batch). */
export function swapLastTwo(x: Tensor): Tensor {
  const p = [...x.shape.keys()];
  [p[p.length - 2], p[p.length - 1]] = [p[p.length - 1], p[p.length - 2]];
  return transpose(x, p);
}

/** NumPy broadcast_to; -1 keeps a dimension. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor('broadcastTo', x, 'x');
  const target = [...shape];
  const lead = target.length - x.ndim;
  if (lead < 0) throw new Error(`broadcastTo: cannot broadcast ${shapeToString(x.shape)} to the lower-rank ${shapeToString(target)}`);
  target.forEach((d, i) => {
    if (d === -1) target[i] = i >= lead ? x.shape[i - lead] : 1;
  });
  checkShape('broadcastTo', target);
  const full = broadcastShapes('broadcastTo', x.shape, target);
  if (!shapesEqual(full, target)) {
    throw new Error(`broadcastTo: cannot broadcast ${shapeToString(x.shape)} to ${shapeToString(target)}`);
  }
  if (shapesEqual(x.shape, target)) return x;
  const src = contiguousStrides(x.shape);
  const strides = target.map((_, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : src[i - lead]));
  const y = strided('broadcastTo', x, target, strides, 0);
  recordOp([x], y, (dy) => [operators().sumTo(dy, x.shape)]);
  return y;
}
export const expand = broadcastTo;

/** Inserts size-1 axes (MegEngine's expand_dims). */
export function unsqueeze(x: Tensor, axis: number | readonly number[]): Tensor {
  assertTensor('unsqueeze', x, 'x');
  const axes = (typeof axis === 'number' ? [axis] : [...axis]).map((a) =>
    normalizeAxis('unsqueeze', a, x.ndim + (typeof axis === 'number' ? 1 : axis.length)),
  );
  const shape = [...x.shape];
  for (const a of [...axes].sort((p, q) => p - q)) shape.splice(a, 0, 1);
  return reshape(x, shape);
}
export const expandDims = unsqueeze;

/** Removes size-1 axes (all of them when axis is omitted). */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  assertTensor('squeeze', x, 'x');
  const axes =
    axis === undefined
      ? [...x.shape.keys()].filter((i) => x.shape[i] === 1)
      : (typeof axis === 'number' ? [axis] : [...axis]).map((a) => normalizeAxis('squeeze', a, x.ndim));
  for (const a of axes) {
    if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${a} has size ${x.shape[a]}, expected 1 (shape ${shapeToString(x.shape)})`);
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
}

/** Flattens axes startAxis..endAxis into one (MegEngine's F.flatten). */
export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  assertTensor('flatten', x, 'inp');
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', startAxis, x.ndim, 'startAxis');
  const e = normalizeAxis('flatten', endAxis, x.ndim, 'endAxis');
  if (s > e)
    throw new Error(`flatten: 'startAxis' (${startAxis}) must not come after 'endAxis' (${endAxis}) for shape ${shapeToString(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** A slice of one axis: start/stop/step as in Python, negatives count from the end. */
export interface SliceSpec {
  start?: number | null;
  stop?: number | null;
  step?: number | null;
}

/** One index position: an integer (drops the axis), a slice, 'a:b:c' text, null (new axis) or '...'. */
export type IndexSpec = number | SliceSpec | string | null;

function resolveSlice(op: string, s: SliceSpec, n: number, axis: number): [number, number, number] {
  const step = s.step ?? 1;
  if (!Number.isInteger(step) || step === 0) throw new Error(`${op}: slice step on axis ${axis} must be a non-zero integer, got ${s.step}`);
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const norm = (v: number) => (v < 0 ? v + n : v);
  let start: number;
  let stop: number;
  if (step > 0) {
    start = s.start === null || s.start === undefined ? 0 : clamp(norm(s.start), 0, n);
    stop = s.stop === null || s.stop === undefined ? n : clamp(norm(s.stop), 0, n);
  } else {
    start = s.start === null || s.start === undefined ? n - 1 : clamp(norm(s.start), -1, n - 1);
    stop = s.stop === null || s.stop === undefined ? -1 : clamp(norm(s.stop), -1, n - 1);
  }
  const len = Math.max(0, Math.ceil((stop - start) / step));
  return [start, step, len];
}

function parseSpec(op: string, s: IndexSpec): IndexSpec {
  if (typeof s !== 'string' || s === '...') return s;
  const parts = s.split(':');
  if (parts.length < 2 || parts.length > 3) throw new Error(`${op}: cannot parse index '${s}', expected 'start:stop' or 'start:stop:step'`);
  const num = (p: string | undefined) => {
    if (p === undefined || p.trim() === '') return null;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new Error(`${op}: cannot parse index '${s}': '${p}' is not an integer`);
    return v;
  };
  return { start: num(parts[0]), stop: num(parts[1]), step: num(parts[2]) };
}

/**
 * NumPy-style basic indexing: `x.index(0, '1:3', null, '...', {step: -1})`.
 * Integers drop their axis, slices keep it, null inserts a new axis.
 */
export function index(x: Tensor, ...specs: IndexSpec[]): Tensor {
  assertTensor('index', x, 'x');
  const parsed = specs.map((s) => parseSpec('index', s));
  const ellipses = parsed.filter((s) => s === '...').length;
  if (ellipses > 1) throw new Error("index: at most one '...' is allowed");
  const consuming = parsed.filter((s) => s !== null && s !== '...').length;
  if (consuming > x.ndim)
    throw new Error(`index: too many indices (${consuming}) for a ${x.ndim}-d tensor of shape ${shapeToString(x.shape)}`);
  const full: IndexSpec[] = [];
  for (const s of parsed) {
    if (s === '...') for (let i = 0; i < x.ndim - consuming; i++) full.push({});
    else full.push(s);
  }
  while (full.filter((s) => s !== null).length < x.ndim) full.push({});
  const src = contiguousStrides(x.shape);
  const shape: number[] = [];
  const strides: number[] = [];
  const starts: number[] = [];
  const steps: number[] = [];
  const lens: number[] = [];
  let offset = 0;
  let axis = 0;
  for (const s of full) {
    if (s === null) {
      shape.push(1);
      strides.push(0);
      continue;
    }
    const n = x.shape[axis];
    if (typeof s === 'number') {
      if (!Number.isInteger(s) || s < -n || s >= n) {
        throw new RangeError(`index: index ${s} is out of bounds for axis ${axis} with size ${n}`);
      }
      const i = s < 0 ? s + n : s;
      offset += i * src[axis];
      starts.push(i);
      steps.push(1);
      lens.push(1);
    } else {
      const [start, step, len] = resolveSlice('index', s as SliceSpec, n, axis);
      offset += len > 0 ? start * src[axis] : 0;
      shape.push(len);
      strides.push(step * src[axis]);
      starts.push(start);
      steps.push(step);
      lens.push(len);
    }
    axis++;
  }
  const y = strided('index', x, shape, strides, offset);
  recordOp([x], y, (dy) => [scatterSlices(dy, x.shape, starts, steps, lens)]);
  return y;
}

/** Gradient of basic indexing: puts dy back where the slices came from, zeros elsewhere. */
function scatterSlices(dy: Tensor, shape: readonly number[], starts: number[], steps: number[], lens: number[]): Tensor {
  // dy's shape without new axes, with integer-indexed axes restored as size 1
  let g = reshape(dy, lens);
  for (let a = 0; a < shape.length; a++) {
    if (lens[a] === 0) return zeros(shape, { device: dy.device });
    let step = steps[a];
    let start = starts[a];
    if (step < 0) {
      g = flip(g, a);
      start = start + step * (lens[a] - 1);
      step = -step;
    }
    if (step > 1) {
      // interleave zeros: [len, ...] → [len, step, ...] → [len·step, ...], then trim
      const gShape = [...g.shape];
      const withStep = unsqueeze(g, a + 1);
      const zeroShape = [...withStep.shape];
      zeroShape[a + 1] = step - 1;
      const spread = concat([withStep, zeros(zeroShape, { device: dy.device })], a + 1);
      gShape[a] = lens[a] * step;
      g = index(reshape(spread, gShape), ...Array.from({ length: a }, () => ({})), { stop: (lens[a] - 1) * step + 1 });
    }
    const pads = shape.map(() => [0, 0] as [number, number]);
    pads[a] = [start, shape[a] - start - g.shape[a]];
    g = pad(g, pads);
  }
  return g;
}

/** Reverses the order of elements along axis. */
export function flip(x: Tensor, axis: number): Tensor {
  assertTensor('flip', x, 'x');
  const a = normalizeAxis('flip', axis, x.ndim);
  return index(x, ...Array.from({ length: a }, () => ({})), { step: -1 });
}

/** Joins tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error("concat: argument 'inps' must be a non-empty array of Tensors");
  for (const [i, x] of xs.entries()) assertTensor('concat', x, `inps[${i}]`);
  commonDevice('concat', xs);
  const first = xs[0];
  const a = normalizeAxis('concat', axis, first.ndim);
  for (const [i, x] of xs.entries()) {
    if (x.dtype !== first.dtype) throw new TypeError(`concat: inps[${i}] has dtype ${x.dtype}, expected ${first.dtype}`);
    if (x.ndim !== first.ndim || x.shape.some((d: number, j: number) => j !== a && d !== first.shape[j])) {
      throw new Error(
        `concat: inps[${i}] has shape ${shapeToString(x.shape)}, which does not match ${shapeToString(first.shape)} outside axis ${a}`,
      );
    }
  }
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
  if (xs.length === 1) return first;
  const y = runKernel('concat', xs, shape, first.dtype, (k) =>
    k.concat(
      xs.map((x) => x.ref('concat')),
      a,
      shape,
    ),
  );
  recordOp(xs, y, (dy) => {
    let at = 0;
    return xs.map((x) => {
      const part = index(dy, ...Array.from({ length: a }, () => ({})), { start: at, stop: at + x.shape[a] });
      at += x.shape[a];
      return part;
    });
  });
  return y;
}

/** Joins tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error("stack: argument 'inps' must be a non-empty array of Tensors");
  for (const [i, x] of xs.entries()) assertTensor('stack', x, `inps[${i}]`);
  const a = normalizeAxis('stack', axis, xs[0].ndim + 1);
  for (const [i, x] of xs.entries()) {
    if (!shapesEqual(x.shape, xs[0].shape))
      throw new Error(`stack: inps[${i}] has shape ${shapeToString(x.shape)}, expected ${shapeToString(xs[0].shape)}`);
  }
  return concat(
    xs.map((x) => unsqueeze(x, a)),
    a,
  );
}

/** Splits into `n` equal parts, or at the given section sizes' boundaries (MegEngine's F.split). */
export function split(x: Tensor, nsOrSections: number | readonly number[], axis = 0): Tensor[] {
  assertTensor('split', x, 'inp');
  const a = normalizeAxis('split', axis, x.ndim);
  const n = x.shape[a];
  let bounds: number[];
  if (typeof nsOrSections === 'number') {
    if (!Number.isInteger(nsOrSections) || nsOrSections <= 0 || n % nsOrSections !== 0) {
      throw new Error(`split: axis ${a} of size ${n} cannot be split into ${nsOrSections} equal parts`);
    }
    const size = n / nsOrSections;
    bounds = Array.from({ length: nsOrSections - 1 }, (_, i) => (i + 1) * size);
  } else {
    bounds = [...nsOrSections];
    if (bounds.some((b, i) => !Number.isInteger(b) || b < 0 || b > n || (i > 0 && b < bounds[i - 1]))) {
      throw new Error(`split: section boundaries must be increasing integers in [0, ${n}], got [${bounds.join(', ')}]`);
    }
  }
  const edges = [0, ...bounds, n];
  return edges.slice(1).map((stop, i) => index(x, ...Array.from({ length: a }, () => ({})), { start: edges[i], stop }));
}

/** Constant padding; pads[i] = [before, after] for each axis (fewer pairs pad the leading axes). */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  assertTensor('pad', x, 'x');
  if (!Array.isArray(pads) || pads.length > x.ndim) {
    throw new Error(`pad: argument 'pad_width' must be an array of at most ${x.ndim} [before, after] pairs`);
  }
  const full = x.shape.map((_, i) => (pads[i] ? [pads[i][0], pads[i][1]] : [0, 0]) as [number, number]);
  for (const [i, [b, e]] of full.entries()) {
    if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e < 0) {
      throw new Error(`pad: padding of axis ${i} must be two non-negative integers, got [${b}, ${e}]`);
    }
    checkInt32Arg('pad', `pad_width[${i}]`, b);
    checkInt32Arg('pad', `pad_width[${i}]`, e);
  }
  if (full.every(([b, e]) => b === 0 && e === 0)) return x;
  const shape = x.shape.map((d, i) => d + full[i][0] + full[i][1]);
  const y = runKernel('pad', [x], shape, x.dtype, (k) => k.pad(x.ref('pad'), full, value));
  recordOp([x], y, (dy) => [index(dy, ...full.map(([b], i) => ({ start: b, stop: b + x.shape[i] })))]);
  return y;
}
