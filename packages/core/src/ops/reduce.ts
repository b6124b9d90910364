import { recordOp } from '../autograd/tape.js';
import type { ReduceOp } from '../backend.js';
import { normalizeAxes, normalizeAxis, shapesEqual, shapeToString, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, div, eq, mul, sub } from './binary.js';
import { astype } from './cast.js';
import { assertTensor, runKernel } from './engine.js';
import { broadcastTo, detach, reshape } from './movement.js';
import { abs, exp, log, sqrt } from './unary.js';
import { where } from './where.js';

export type Axis = number | readonly number[] | null | undefined;

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}
function droppedShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

function reduce(op: ReduceOp, x: Tensor, axis: Axis, keepdims: boolean): Tensor {
  assertTensor(op, x, 'x');
  const axes = normalizeAxes(op, axis, x.ndim);
  const inp = x.dtype === 'bool' ? astype(x, 'int32') : x;
  if (axes.length === 0) return inp;
  if ((op === 'max' || op === 'min') && axes.some((a) => x.shape[a] === 0)) {
    throw new Error(`${op}: cannot reduce a zero-size axis of shape ${shapeToString(x.shape)} (no identity)`);
  }
  const kept = keptShape(inp.shape, axes);
  const yk = runKernel(op, [inp], kept, inp.dtype, (k) => k.reduce(op, inp.ref(op), axes));
  if (inp.dtype === 'float32') {
    recordOp([inp], yk, (dy) => {
      const g = broadcastTo(dy, inp.shape);
      if (op === 'sum') return [g];
      if (op === 'prod') return [mul(g, prodGrad(inp, yk, axes))];
      // max/min: the gradient goes to every element equal to the extremum
      return [mul(g, astype(eq(inp, broadcastTo(yk, inp.shape)), 'float32'))];
    });
  }
  return keepdims ? yk : reshape(yk, droppedShape(inp.shape, axes));
}

/**
 * ∂prod/∂x_i = Π_{j≠i} x_j. y/x is that only when no factor is 0, so zeros are
 * handled apart: with one zero in the group, it alone gets the product of the others;
 * with two or more, every derivative is 0.
 */
function prodGrad(x: Tensor, y: Tensor, axes: readonly number[]): Tensor {
  const isZero = eq(x, 0);
  const nonZero = where(isZero, 1, x);
  const others = broadcastTo(reduce('prod', nonZero, axes, true), x.shape);
  const zeros = broadcastTo(sum(astype(isZero, 'float32'), axes, true), x.shape);
  const noZero = where(eq(zeros, 0), div(broadcastTo(y, x.shape), nonZero), 0);
  return where(isZero, where(eq(zeros, 1), others, 0), noZero);
}

export const sum = (x: Tensor, axis?: Axis, keepdims = false): Tensor => reduce('sum', x, axis, keepdims);
export const prod = (x: Tensor, axis?: Axis, keepdims = false): Tensor => reduce('prod', x, axis, keepdims);
export const max = (x: Tensor, axis?: Axis, keepdims = false): Tensor => reduce('max', x, axis, keepdims);
export const min = (x: Tensor, axis?: Axis, keepdims = false): Tensor => reduce('min', x, axis, keepdims);

export function mean(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  assertTensor('mean', x, 'x');
  const axes = normalizeAxes('mean', axis, x.ndim);
  const n = sizeOf(axes.map((a) => x.shape[a]));
  return div(sum(astype(x, 'float32'), axes, keepdims), n);
}

/** Variance; `ddof` 0 is the biased (population) variance, as MegEngine's F.var. */
export function variance(x: Tensor, axis?: Axis, keepdims = false, ddof = 0): Tensor {
  assertTensor('var', x, 'x');
  const axes = normalizeAxes('var', axis, x.ndim);
  const n = sizeOf(axes.map((a) => x.shape[a]));
  const d = sub(x, mean(x, axes, true));
  return div(sum(mul(d, d), axes, keepdims), n - ddof);
}

export function std(x: Tensor, axis?: Axis, keepdims = false, ddof = 0): Tensor {
  return sqrt(variance(x, axis, keepdims, ddof));
}

/** log(Σ exp(x)) computed stably by subtracting the max. */
export function logsumexp(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  assertTensor('logsumexp', x, 'x');
  const axes = normalizeAxes('logsumexp', axis, x.ndim);
  const m = detach(max(astype(x, 'float32'), axes, true));
  // an infinite max (all −∞, or some +∞) would make x − m NaN; shifting by 0 is exact then
  const mConst = where(eq(abs(m), Infinity), 0, m);
  const s = log(sum(exp(sub(x, mConst)), axes, true));
  const out = add(s, mConst);
  return keepdims ? out : reshape(out, droppedShape(x.shape, axes));
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, keepdims: boolean): Tensor {
  assertTensor(op, x, 'x');
  if (axis === undefined || axis === null) {
    const flat = reshape(x, [x.size]);
    return argReduce(op, flat, 0, false);
  }
  const a = normalizeAxis(op, axis, x.ndim);
  if (x.shape[a] === 0) throw new Error(`${op}: cannot reduce a zero-size axis of shape ${shapeToString(x.shape)}`);
  const inp = x.dtype === 'bool' ? astype(x, 'int32') : x;
  const kept = keptShape(inp.shape, [a]);
  const y = runKernel(op, [inp], kept, 'int32', (k) => k.argReduce(op, inp.ref(op), a));
  return keepdims ? y : reshape(y, droppedShape(inp.shape, [a]));
}

export const argmax = (x: Tensor, axis?: number, keepdims = false): Tensor => argReduce('argmax', x, axis, keepdims);
export const argmin = (x: Tensor, axis?: number, keepdims = false): Tensor => argReduce('argmin', x, axis, keepdims);

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? sum(g, axes, true) : g;
  return reshape(s, shape);
}
