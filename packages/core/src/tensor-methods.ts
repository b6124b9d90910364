/**
 * Chainable operators on Tensor (`x.add(y).relu()`), each one a thin call to the
 * functional form in ops/. Kept apart from tensor.ts so that the ops can import Tensor.
 */
import type { DType } from './dtype.js';
import * as ops from './ops/index.js';
import type { IndexSpec } from './ops/movement.js';
import type { Axis } from './ops/reduce.js';
import type { TensorLike } from './ops/scalar.js';
import { Tensor } from './tensor.js';

declare module './tensor.js' {
  interface Tensor {
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor;
    maximum(b: TensorLike): Tensor;
    minimum(b: TensorLike): Tensor;
    eq(b: TensorLike): Tensor;
    ne(b: TensorLike): Tensor;
    lt(b: TensorLike): Tensor;
    le(b: TensorLike): Tensor;
    gt(b: TensorLike): Tensor;
    ge(b: TensorLike): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    relu(): Tensor;
    clip(lower?: number | null, upper?: number | null): Tensor;
    sum(axis?: Axis, keepdims?: boolean): Tensor;
    mean(axis?: Axis, keepdims?: boolean): Tensor;
    max(axis?: Axis, keepdims?: boolean): Tensor;
    min(axis?: Axis, keepdims?: boolean): Tensor;
    prod(axis?: Axis, keepdims?: boolean): Tensor;
    var(axis?: Axis, keepdims?: boolean): Tensor;
    argmax(axis?: number, keepdims?: boolean): Tensor;
    argmin(axis?: number, keepdims?: boolean): Tensor;
    matmul(b: Tensor): Tensor;
    reshape(...shape: number[] | [readonly number[]]): Tensor;
    transpose(...pattern: number[] | [readonly number[]]): Tensor;
    flatten(startAxis?: number, endAxis?: number): Tensor;
    squeeze(axis?: number | readonly number[]): Tensor;
    unsqueeze(axis: number | readonly number[]): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    index(...specs: IndexSpec[]): Tensor;
    astype(dtype: DType): Tensor;
    detach(): Tensor;
    /** MegEngine's T: the transpose of a 2-d tensor. */
    readonly T: Tensor;
  }
}

const P = Tensor.prototype;
const binary = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
for (const name of binary) {
  P[name] = function (this: Tensor, b: TensorLike) {
    return ops[name](this, b);
  };
}
const unary = ['neg', 'abs', 'exp', 'log', 'sqrt', 'sigmoid', 'tanh', 'relu'] as const;
for (const name of unary) {
  P[name] = function (this: Tensor) {
    return ops[name](this);
  };
}
P.clip = function (lower?: number | null, upper?: number | null) {
  return clip(this, lower, upper);
};
P.sum = function (axis?: Axis, keepdims?: boolean) {
  return ops.sum(this, axis, keepdims);
};
P.mean = function (axis?: Axis, keepdims?: boolean) {
  return ops.mean(this, axis, keepdims);
};
P.max = function (axis?: Axis, keepdims?: boolean) {
  return ops.max(this, axis, keepdims);
};
P.min = function (axis?: Axis, keepdims?: boolean) {
  return ops.min(this, axis, keepdims);
};
P.prod = function (axis?: Axis, keepdims?: boolean) {
  return ops.prod(this, axis, keepdims);
};
P.var = function (axis?: Axis, keepdims?: boolean) {
  return ops.variance(this, axis, keepdims);
};
P.argmax = function (axis?: number, keepdims?: boolean) {
  return ops.argmax(this, axis, keepdims);
};
P.argmin = function (axis?: number, keepdims?: boolean) {
  return ops.argmin(this, axis, keepdims);
};
P.matmul = function (b: Tensor) {
  return ops.matmul(this, b);
};
function spread(args: unknown[]): number[] {
  return (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as number[];
}
P.reshape = function (...shape: unknown[]) {
  return ops.reshape(this, spread(shape));
};
P.transpose = function (...pattern: unknown[]) {
  return ops.transpose(this, pattern.length ? spread(pattern) : undefined);
};
P.flatten = function (startAxis?: number, endAxis?: number) {
  return ops.flatten(this, startAxis, endAxis);
};
P.squeeze = function (axis?: number | readonly number[]) {
  return ops.squeeze(this, axis);
};
P.unsqueeze = function (axis: number | readonly number[]) {
  return ops.unsqueeze(this, axis);
};
P.broadcastTo = function (shape: readonly number[]) {
  return ops.broadcastTo(this, shape);
};
P.index = function (...specs: IndexSpec[]) {
  return ops.index(this, ...specs);
};
P.astype = function (dtype: DType) {
  return ops.astype(this, dtype);
};
P.detach = function () {
  return ops.detach(this);
};
Object.defineProperty(P, 'T', {
  get(this: Tensor) {
    if (this.ndim !== 2) throw new Error(`T: expected a 2-d tensor, got ${this.ndim}-d; use transpose(pattern)`);
    return ops.transpose(this);
  },
});

/** Clamps values into [lower, upper]; either bound may be omitted. */
export function clip(x: Tensor, lower?: number | null, upper?: number | null): Tensor {
  if ((lower === undefined || lower === null) && (upper === undefined || upper === null)) {
    throw new Error("clip: at least one of 'lower' and 'upper' must be given");
  }
  let y = x;
  if (lower !== undefined && lower !== null) y = ops.maximum(y, lower);
  if (upper !== undefined && upper !== null) y = ops.minimum(y, upper);
  return y;
}
