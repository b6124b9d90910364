import { noGrad, recordOp } from '../autograd/tape.js';
import { getBackend } from '../registry.js';
import type { Tensor } from '../tensor.js';
import { add, mul } from './binary.js';
import { assertFloat, assertTensor, backendHasKernel, commonDevice, runKernel } from './engine.js';
import { scaledAdd } from './fused-elementwise.js';
import { erf, exp } from './unary.js';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2 (MegEngine's F.gelu), with its gradient
 * dy·(Φ(x) + x·φ(x)) written out: one kernel each way where the backend has `gelu`; elsewhere
 * composed from erf and exp (three kernels forward, six backward, instead of autograd's chain
 * back through erf).
 */
export function gelu(x: Tensor): Tensor {
  const op = 'gelu';
  assertTensor(op, x, 'inp');
  assertFloat(op, x, 'inp');
  const backend = getBackend(commonDevice(op, [x]));
  if (backend.gelu && backend.geluBackward && backendHasKernel(backend, op)) {
    const rx = x.ref(op);
    const out = runKernel(op, [x], x.shape, 'float32', (k) => k.gelu!(rx));
    recordOp([x], out, (dy) => {
      const grad = 'geluBackward';
      const rdy = dy.ref(grad);
      const rx2 = x.ref(grad);
      return [runKernel(grad, [x, dy], x.shape, 'float32', (k) => k.geluBackward!(rx2, rdy))];
    });
    return out;
  }
  // 1 + erf(x/√2) = 2·Φ(x), kept for the gradient
  const cdf2 = noGrad(() => add(erf(mul(x, Math.SQRT1_2)), 1));
  const out = noGrad(() => mul(mul(x, 0.5), cdf2));
  recordOp([x], out, (dy) => {
    const xpdf = mul(x, exp(mul(mul(x, x), -0.5))); // x·φ(x)·√(2π)
    return [mul(dy, scaledAdd(cdf2, xpdf, 0.5, INV_SQRT_2PI))];
  });
  return out;
}
