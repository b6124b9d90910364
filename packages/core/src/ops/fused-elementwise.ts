import { operators } from '../autograd/operators.js';
import { noGrad, recordOp } from '../autograd/tape.js';
import { getBackend } from '../registry.js';
import { shapeToString } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, mul } from './binary.js';
import { assertFloat, assertTensor, backendHasKernel, commonDevice, runKernel } from './engine.js';
import { sign } from './unary.js';

/*
 * Elementwise compositions a training step runs on every parameter or activation, as one
 * kernel where the backend has it (optional Backend methods) and composed from the binary and
 * unary operators elsewhere. Each kernel equals its composition bit for bit, so eager, traced
 * and composed runs give the same numbers.
 */

function checkPair(op: string, a: Tensor, b: Tensor): void {
  assertTensor(op, a, 'a');
  assertTensor(op, b, 'b');
  assertFloat(op, a, 'a');
  assertFloat(op, b, 'b');
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${op}: arguments 'a' and 'b' must have the same shape, got ${shapeToString(a.shape)} and ${shapeToString(b.shape)}`);
  }
}

/** x·s, skipping the multiplication by 1 (exact, so the result is the same). */
const scaled = (x: Tensor, s: number): Tensor => (s === 1 ? x : mul(x, s));

/**
 * alpha·a + beta·b for float32 tensors of one shape, in one kernel where the backend has
 * `scaledAdd` — the update of an optimizer step (MegEngine's optimizers use its InplaceAdd
 * for it), one pass over memory instead of two scalings and an add. Each product is rounded
 * to float32 before the sum, so the result equals `add(mul(a, alpha), mul(b, beta))` exactly,
 * which is also the default on backends without the kernel.
 */
export function scaledAdd(a: Tensor, b: Tensor, alpha: number, beta: number): Tensor {
  const op = 'scaledAdd';
  checkPair(op, a, b);
  for (const [name, v] of [
    ['alpha', alpha],
    ['beta', beta],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new TypeError(`${op}: argument '${name}' must be a finite number, got ${String(v)}`);
  }
  const backend = getBackend(commonDevice(op, [a, b]));
  let out: Tensor;
  if (backend.scaledAdd && backendHasKernel(backend, op)) {
    const ra = a.ref(op);
    const rb = b.ref(op);
    out = runKernel(op, [a, b], a.shape, 'float32', (k) => k.scaledAdd!(ra, rb, alpha, beta));
  } else {
    out = noGrad(() => add(scaled(a, alpha), scaled(b, beta)));
  }
  recordOp([a, b], out, (dy) => {
    const o = operators();
    return [o.mul(dy, alpha), o.mul(dy, beta)];
  });
  return out;
}

/**
 * a·sign(b) for float32 tensors of one shape: relu's gradient from its output (dy·sign(y), the
 * output being 0 or positive) in one pass instead of two, where the backend has `mulSign`;
 * `mul(a, sign(b))` elsewhere, which it equals exactly.
 */
export function mulSign(a: Tensor, b: Tensor): Tensor {
  const op = 'mulSign';
  checkPair(op, a, b);
  const backend = getBackend(commonDevice(op, [a, b]));
  let out: Tensor;
  if (backend.mulSign && backendHasKernel(backend, op)) {
    const ra = a.ref(op);
    const rb = b.ref(op);
    out = runKernel(op, [a, b], a.shape, 'float32', (k) => k.mulSign!(ra, rb));
  } else {
    out = noGrad(() => mul(a, sign(b)));
  }
  // sign is flat: b gets no gradient (as sign's own rule gives zeros)
  recordOp([a, b], out, (dy) => [operators().mulSign(dy, b), null]);
  return out;
}
