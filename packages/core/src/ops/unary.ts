import { operators } from '../autograd/operators.js';
import { type GradRule, noGrad, recordOp } from '../autograd/tape.js';
import type { Activation, Backend } from '../backend.js';
import { UNARY, UNARY_OPS, type UnaryOp, type UnaryRow } from '../elementwise/table.js';
import { getBackend } from '../registry.js';
import type { Tensor } from '../tensor.js';
import { astype } from './cast.js';
import { assertTensor, backendHasKernel, missingKernel, runKernel } from './engine.js';

/** relu of a deferred conv/matmul result (see fused.ts) fuses into its kernel when the result allows. */
function fuseActivation(x: Tensor, activation: Activation): Tensor | null {
  const d = x.deferred as { fuse?: (a: Activation) => Tensor } | null;
  return d && typeof d.fuse === 'function' ? d.fuse(activation) : null;
}

/** Every unary operator: the dtype rule, argument checks and gradient come from its row of the table. */
export function unary(op: UnaryOp, x: Tensor): Tensor {
  const row = Object.hasOwn(UNARY, op) ? UNARY[op] : undefined;
  if (!row) throw new TypeError(`unary: argument 'op' must be one of ${UNARY_OPS.join(', ')}; got ${String(op)}`);
  assertTensor(op, x, 'x');
  if (row.dtype === 'logical') {
    const b = astype(x, 'bool');
    const backend = getBackend(b.device);
    if (!backendHasKernel(backend, op)) return composed(row, b, backend);
    return runKernel(op, [b], b.shape, 'bool', (k) => k.unary(op, b.ref(op)));
  }
  if (x.dtype !== 'float32' && row.dtype === 'rounding') return x;
  if (op === 'relu' && x.deferred) {
    const fused = fuseActivation(x, 'relu');
    if (fused) return fused;
  }
  const keepsInt = row.dtype === 'signed';
  const inp = x.dtype === 'float32' || (x.dtype === 'int32' && keepsInt) ? x : astype(x, keepsInt ? 'int32' : 'float32');
  const backend = getBackend(inp.device);
  const y = backendHasKernel(backend, op)
    ? runKernel(op, [inp], inp.shape, inp.dtype, (k) => k.unary(op, inp.ref(op)))
    : composed(row, inp, backend);
  if (row.grad && inp.dtype === 'float32') recordOp([inp], y, unaryGrad(row, inp, y));
  return y;
}

/**
 * The row's gradient rule holding only what it reads (relu: its output), made outside
 * `unary` so that the closure does not share that call's context, which holds the input.
 */
function unaryGrad(row: UnaryRow, x: Tensor, y: Tensor): GradRule {
  const rule = row.grad as NonNullable<UnaryRow['grad']>;
  const reads = row.gradReads;
  const sx = !reads || reads.includes('x') ? x : null;
  const sy = !reads || reads.includes('y') ? y : null;
  return (dy) => [rule(operators(), sx as Tensor, sy as Tensor, dy)];
}

/**
 * The row's default composed from other operators, for a backend without the kernel. It is
 * computed without recording: the gradient is still the row's own rule (a composition may be
 * differentiable everywhere but at a kink, where its pieces' gradients disagree with the rule).
 */
function composed(row: UnaryRow, x: Tensor, backend: Backend): Tensor {
  const compose = row.compose;
  if (!compose) throw missingKernel(row.name, backend);
  return noGrad(() => compose(operators(), x));
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const sign = (x: Tensor): Tensor => unary('sign', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const floor = (x: Tensor): Tensor => unary('floor', x);
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
export const round = (x: Tensor): Tensor => unary('round', x);
export const sin = (x: Tensor): Tensor => unary('sin', x);
export const cos = (x: Tensor): Tensor => unary('cos', x);
export const erf = (x: Tensor): Tensor => unary('erf', x);
export const logicalNot = (x: Tensor): Tensor => unary('logicalNot', x);
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
export const tan = (x: Tensor): Tensor => unary('tan', x);
/** log(1 + eˣ), computed without overflow (MegEngine's F.softplus). */
export const softplus = (x: Tensor): Tensor => unary('softplus', x);
