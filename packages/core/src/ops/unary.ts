import { recordOp } from '../autograd/tape.js';
import type { UnaryOp } from '../backend.js';
import type { Tensor } from '../tensor.js';
import { div, mul, sub } from './binary.js';
import { astype } from './cast.js';
import { zerosLike } from './creation.js';
import { assertTensor, runKernel } from './engine.js';
import { fuseActivation } from './fused.js';

/** Ops that keep an int32 input's dtype; every other numeric op computes in float32. */
const INT_OPS = new Set<UnaryOp>(['neg', 'abs', 'sign', 'floor', 'ceil', 'round']);
/** Ops that are the identity on integers. */
const INT_IDENTITY = new Set<UnaryOp>(['floor', 'ceil', 'round']);

type Rule = (x: Tensor, y: Tensor, dy: Tensor) => Tensor | null;

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** Each unary primitive's gradient, written once in terms of other primitives. */
const GRAD: Record<UnaryOp, Rule | null> = {
  neg: (_x, _y, dy) => neg(dy),
  abs: (x, _y, dy) => mul(dy, sign(x)),
  sign: (x) => zerosLike(x),
  exp: (_x, y, dy) => mul(dy, y),
  log: (x, _y, dy) => div(dy, x),
  sqrt: (_x, y, dy) => div(dy, mul(y, 2)),
  sigmoid: (_x, y, dy) => mul(dy, mul(y, sub(1, y))),
  tanh: (_x, y, dy) => mul(dy, sub(1, mul(y, y))),
  // relu's output is 0 or positive, so its sign is the 0/1 mask: two passes, no bool→float cast
  relu: (_x, y, dy) => mul(dy, sign(y)),
  floor: (x) => zerosLike(x),
  ceil: (x) => zerosLike(x),
  round: (x) => zerosLike(x),
  sin: (x, _y, dy) => mul(dy, cos(x)),
  cos: (x, _y, dy) => neg(mul(dy, sin(x))),
  erf: (x, _y, dy) => mul(dy, mul(exp(neg(mul(x, x))), TWO_OVER_SQRT_PI)),
  logicalNot: null,
};

function unary(op: UnaryOp, x: Tensor): Tensor {
  assertTensor(op, x, 'x');
  if (op === 'logicalNot') {
    const b = astype(x, 'bool');
    return runKernel(op, [b], b.shape, 'bool', (k) => k.unary(op, b.ref(op)));
  }
  if (x.dtype !== 'float32' && INT_IDENTITY.has(op)) return x;
  if (op === 'relu' && x.deferred) {
    const fused = fuseActivation(x, 'relu');
    if (fused) return fused;
  }
  const inp = x.dtype === 'float32' || (x.dtype === 'int32' && INT_OPS.has(op)) ? x : astype(x, x.dtype === 'bool' && INT_OPS.has(op) ? 'int32' : 'float32');
  const y = runKernel(op, [inp], inp.shape, inp.dtype, (k) => k.unary(op, inp.ref(op)));
  const rule = GRAD[op];
  if (rule && inp.dtype === 'float32') recordOp([inp], y, (dy) => [rule(inp, y, dy)]);
  return y;
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
