import { noGrad, recordOp } from '../autograd/tape.js';
import type { StandardizeParams } from '../backend.js';
import { getBackend } from '../registry.js';
import { shapeToString, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, div, mul, sub } from './binary.js';
import { assertFloat, assertTensor, backendHasKernel, commonDevice, runKernel } from './engine.js';
import { mean, sum } from './reduce.js';
import { sqrt } from './unary.js';

function checkArgs(op: string, x: Tensor, numAxes: number, eps: number): void {
  assertTensor(op, x, 'x');
  assertFloat(op, x, 'x');
  if (!Number.isInteger(numAxes) || numAxes < 1 || numAxes > x.ndim)
    throw new RangeError(
      `${op}: argument 'numAxes' must be an integer in [1, ${x.ndim}] for x ${shapeToString(x.shape)}, got ${String(numAxes)}`,
    );
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps))
    throw new RangeError(`${op}: argument 'eps' must be a positive finite number, got ${String(eps)}`);
}

/**
 * (x − mean) / sqrt(var + eps) over the trailing `numAxes` axes of x (biased variance): the
 * standardisation inside layer, group and instance norm, with its gradient written out,
 * dx = (dy − mean(dy) − y·mean(dy·y)) / sqrt(var + eps). One kernel each way where the backend
 * has `standardize`; elsewhere composed (five kernels forward, seven backward, instead of
 * autograd's chain back through div, sqrt, mean, mul and sub).
 */
export function standardize(x: Tensor, numAxes: number, eps: number): Tensor {
  const op = 'standardize';
  checkArgs(op, x, numAxes, eps);
  const cols = sizeOf(x.shape.slice(x.ndim - numAxes));
  const backend = getBackend(commonDevice(op, [x]));
  if (cols > 0 && backend.standardize && backend.standardizeBackward && backendHasKernel(backend, op)) {
    const p: StandardizeParams = { rows: x.size / cols, cols, eps };
    const rx = x.ref(op);
    const out = runKernel(op, [x], x.shape, 'float32', (k) => k.standardize!(rx, p));
    recordOp([x], out, (dy) => {
      const grad = 'standardizeBackward';
      const rdy = dy.ref(grad);
      const rx2 = x.ref(grad);
      return [runKernel(grad, [x, dy], x.shape, 'float32', (k) => k.standardizeBackward!(rx2, rdy, p))];
    });
    return out;
  }
  const axes = Array.from({ length: numAxes }, (_, i) => x.ndim - numAxes + i);
  const [y, std] = noGrad(() => {
    const d = sub(x, mean(x, axes, true));
    const s = sqrt(add(mean(mul(d, d), axes, true), eps));
    return [div(d, s), s];
  });
  recordOp([x], y, (dy) => {
    const centred = sub(dy, mean(dy, axes, true));
    return [div(sub(centred, mul(y, mean(mul(dy, y), axes, true))), std)];
  });
  return y;
}

/**
 * Layer norm: standardize(x, numAxes, eps)·weight + bias, weight and bias shaped like the
 * trailing `numAxes` axes of x. One kernel forward and two for the x and weight gradients
 * (the bias gradient is a sum) where the backend has `standardizeAffine`, in place of three
 * forward and five backward; elsewhere composed from standardize, mul and add.
 */
export function standardizeAffine(x: Tensor, numAxes: number, eps: number, weight: Tensor, bias: Tensor): Tensor {
  const op = 'standardizeAffine';
  checkArgs(op, x, numAxes, eps);
  const tail = x.shape.slice(x.ndim - numAxes);
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    assertTensor(op, t, name);
    assertFloat(op, t, name);
    if (t.ndim !== tail.length || t.shape.some((d, i) => d !== tail[i]))
      throw new Error(
        `${op}: argument '${name}' must have shape ${shapeToString(tail)} (the trailing axes of x), got ${shapeToString(t.shape)}`,
      );
  }
  const backend = getBackend(commonDevice(op, [x, weight, bias]));
  const fused = backend.standardizeAffine && backend.standardizeAffineBackward && backend.standardizeWeightGrad;
  if (!fused || !backendHasKernel(backend, op) || x.size === 0) return add(mul(standardize(x, numAxes, eps), weight), bias);
  const cols = sizeOf(tail);
  const p: StandardizeParams = { rows: x.size / cols, cols, eps };
  const rx = x.ref(op);
  const rw = weight.ref(op);
  const rb = bias.ref(op);
  const out = runKernel(op, [x, weight, bias], x.shape, 'float32', (k) => k.standardizeAffine!(rx, rw, rb, p));
  const rowAxes = Array.from({ length: x.ndim - numAxes }, (_, i) => i);
  recordOp([x, weight, bias], out, (dy) => {
    const rdy = dy.ref(op);
    const rx2 = x.ref(op);
    const rw2 = weight.ref(op);
    return [
      runKernel('standardizeAffineBackward', [x, weight, dy], x.shape, 'float32', (k) => k.standardizeAffineBackward!(rx2, rw2, rdy, p)),
      runKernel('standardizeWeightGrad', [x, dy], tail, 'float32', (k) => k.standardizeWeightGrad!(rx2, rdy, p)),
      rowAxes.length ? sum(dy, rowAxes) : dy,
    ];
  });
  return out;
}
