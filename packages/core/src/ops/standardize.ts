import { noGrad, recordOp } from '../autograd/tape.js';
import type { StandardizeParams } from '../backend.js';
import { getBackend } from '../registry.js';
import { shapeToString, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, div, mul, sub } from './binary.js';
import { assertFloat, assertTensor, backendHasKernel, commonDevice, runKernel } from './engine.js';
import { mean } from './reduce.js';
import { sqrt } from './unary.js';

/**
 * (x − mean) / sqrt(var + eps) over the trailing `numAxes` axes of x (biased variance): the
 * standardisation inside layer, group and instance norm, with its gradient written out,
 * dx = (dy − mean(dy) − y·mean(dy·y)) / sqrt(var + eps). One kernel each way where the backend
 * has `standardize`; elsewhere composed (five kernels forward, seven backward, instead of
 * autograd's chain back through div, sqrt, mean, mul and sub).
 */
export function standardize(x: Tensor, numAxes: number, eps: number): Tensor {
  const op = 'standardize';
  assertTensor(op, x, 'x');
  assertFloat(op, x, 'x');
  if (!Number.isInteger(numAxes) || numAxes < 1 || numAxes > x.ndim)
    throw new RangeError(
      `${op}: argument 'numAxes' must be an integer in [1, ${x.ndim}] for x ${shapeToString(x.shape)}, got ${String(numAxes)}`,
    );
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps))
    throw new RangeError(`${op}: argument 'eps' must be a positive finite number, got ${String(eps)}`);
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
