import { recordOp } from '../autograd/tape.js';
import { type BinaryOp, COMPARISON_OPS } from '../backend.js';
import { type DType, promoteTypes } from '../dtype.js';
import { broadcastShapes, padShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { astype } from './cast.js';
import { assertTensor, runKernel } from './engine.js';
import { sumTo } from './reduce.js';
import { asTensor, type TensorLike } from './scalar.js';
import { log, neg } from './unary.js';

type Rule = (a: Tensor, b: Tensor, y: Tensor, dy: Tensor) => [Tensor | null, Tensor | null];

/** Gradients of the differentiable binary primitives, before summing over broadcast axes. */
const GRAD: Partial<Record<BinaryOp, Rule>> = {
  add: (_a, _b, _y, dy) => [dy, dy],
  sub: (_a, _b, _y, dy) => [dy, neg(dy)],
  mul: (a, b, _y, dy) => [mul(dy, b), mul(dy, a)],
  div: (_a, b, y, dy) => {
    const da = div(dy, b);
    return [da, neg(mul(da, y))];
  },
  pow: (a, b, y, dy) => [mul(dy, mul(b, pow(a, sub(b, 1)))), mul(dy, mul(y, log(a)))],
  maximum: (a, b, _y, dy) => {
    const m = astype(ge(a, b), 'float32');
    return [mul(dy, m), mul(dy, sub(1, m))];
  },
  minimum: (a, b, _y, dy) => {
    const m = astype(le(a, b), 'float32');
    return [mul(dy, m), mul(dy, sub(1, m))];
  },
};

function operandDType(op: BinaryOp, a: Tensor, b: Tensor): DType {
  if (op === 'logicalAnd' || op === 'logicalOr') return 'bool';
  const t = promoteTypes(a.dtype, b.dtype);
  if (op === 'div') return 'float32';
  if (t === 'bool' && !COMPARISON_OPS.has(op)) return 'int32';
  return t;
}

function binary(op: BinaryOp, x: TensorLike, y: TensorLike): Tensor {
  if (typeof x !== 'object' && typeof y !== 'object') {
    throw new TypeError(`${op}: at least one of 'a' and 'b' must be a Tensor, got ${typeof x} and ${typeof y}`);
  }
  const ta = asTensor(op, x, typeof y === 'object' ? (y as Tensor) : undefined, 'a');
  const tb = asTensor(op, y, ta, 'b');
  assertTensor(op, ta, 'a');
  const dtype = operandDType(op, ta, tb);
  const a = astype(ta, dtype);
  const b = astype(tb, dtype);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const outDType = COMPARISON_OPS.has(op) ? 'bool' : dtype;
  const ra = { ...a.ref(op), shape: padShape(a.shape, shape.length) };
  const rb = { ...b.ref(op), shape: padShape(b.shape, shape.length) };
  const out = runKernel(op, [a, b], shape, outDType, (k) => k.binary(op, ra, rb, shape));
  const rule = GRAD[op];
  if (rule && dtype === 'float32') {
    recordOp([a, b], out, (dy) => {
      const [da, db] = rule(a, b, out, dy);
      return [da && sumTo(da, a.shape), db && sumTo(db, b.shape)];
    });
  }
  return out;
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
/** True division: integer inputs give float32, as in NumPy and MegEngine. */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', a, b);
export const eq = (a: TensorLike, b: TensorLike): Tensor => binary('eq', a, b);
export const ne = (a: TensorLike, b: TensorLike): Tensor => binary('ne', a, b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => binary('lt', a, b);
export const le = (a: TensorLike, b: TensorLike): Tensor => binary('le', a, b);
export const gt = (a: TensorLike, b: TensorLike): Tensor => binary('gt', a, b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => binary('ge', a, b);
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => binary('logicalAnd', a, b);
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => binary('logicalOr', a, b);
