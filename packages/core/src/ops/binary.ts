import { operators } from '../autograd/operators.js';
import { type GradRule, noGrad, recordOp } from '../autograd/tape.js';
import { type DType, promoteTypes } from '../dtype.js';
import { BINARY, BINARY_OPS, type BinaryOp, type BinaryRow } from '../elementwise/table.js';
import { getBackend } from '../registry.js';
import { broadcastShapes, padShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { astype } from './cast.js';
import { assertTensor, backendHasKernel, missingKernel, runKernel } from './engine.js';
import { asTensor, type TensorLike } from './scalar.js';

function operandDType(row: BinaryRow, a: Tensor, b: Tensor): DType {
  if (row.dtype === 'logical') return 'bool';
  if (row.dtype === 'float') return 'float32';
  const t = promoteTypes(a.dtype, b.dtype);
  if (t === 'bool' && row.dtype === 'arith') return 'int32';
  return t;
}

/** Every binary operator: the dtype rule, broadcasting and gradient come from its row of the table. */
export function binary(op: BinaryOp, x: TensorLike, y: TensorLike): Tensor {
  const row = Object.hasOwn(BINARY, op) ? BINARY[op] : undefined;
  if (!row) throw new TypeError(`binary: argument 'op' must be one of ${BINARY_OPS.join(', ')}; got ${String(op)}`);
  if (typeof x !== 'object' && typeof y !== 'object') {
    throw new TypeError(`${op}: at least one of 'a' and 'b' must be a Tensor, got ${typeof x} and ${typeof y}`);
  }
  const ta = asTensor(op, x, typeof y === 'object' ? (y as Tensor) : undefined, 'a');
  const tb = asTensor(op, y, ta, 'b');
  assertTensor(op, ta, 'a');
  const dtype = operandDType(row, ta, tb);
  const a = astype(ta, dtype);
  const b = astype(tb, dtype);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const backend = getBackend(a.device);
  const outDType = row.dtype === 'compare' || row.dtype === 'logical' ? 'bool' : dtype;
  const ra = { ...a.ref(op), shape: padShape(a.shape, shape.length) };
  const rb = { ...b.ref(op), shape: padShape(b.shape, shape.length) };
  let out: Tensor;
  if (backendHasKernel(backend, op)) {
    out = runKernel(op, [a, b], shape, outDType, (k) => k.binary(op, ra, rb, shape));
  } else {
    // the row's default composed from other operators; its gradient is still the row's rule
    const compose = row.compose;
    if (!compose) throw missingKernel(op, backend);
    out = noGrad(() => compose(operators(), a, b));
  }
  if (row.grad && dtype === 'float32') recordOp([a, b], out, binaryGrad(row, a, b, out));
  return out;
}

/**
 * The row's gradient rule holding only what it reads (add: nothing but the shapes), made
 * outside `binary` so that the closure does not share that call's context, which holds both inputs.
 */
function binaryGrad(row: BinaryRow, a: Tensor, b: Tensor, out: Tensor): GradRule {
  const rule = row.grad as NonNullable<BinaryRow['grad']>;
  const reads = row.gradReads;
  const sa = !reads || reads.includes('a') ? a : null;
  const sb = !reads || reads.includes('b') ? b : null;
  const sy = !reads || reads.includes('y') ? out : null;
  const aShape = a.shape;
  const bShape = b.shape;
  return (dy) => {
    const o = operators();
    const [da, db] = rule(o, sa as Tensor, sb as Tensor, sy as Tensor, dy);
    return [da && o.sumTo(da, aShape), db && o.sumTo(db, bShape)];
  };
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
