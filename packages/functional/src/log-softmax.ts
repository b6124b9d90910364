// Not re-exported from the package: the public operators are logSoftmax and crossEntropy.
import { autodiff, clip, exp, log, max, mul, sub, sum, type Tensor } from '@mge/core';

/** Largest finite float32: clamping the row maximum to it keeps x − max finite-or-±∞, never NaN from ∞ − ∞. */
const FLT_MAX = 3.4028234663852886e38;

/** log-softmax values along `axis`: x − max − log Σ exp(x − max). */
export function logSoftmaxValues(x: Tensor, axis: number): Tensor {
  const shifted = sub(x, clip(max(x, axis, true), -FLT_MAX, FLT_MAX));
  return sub(shifted, log(sum(exp(shifted), axis, true)));
}

/**
 * log-softmax with its gradient written out, dx = dy − softmax·Σdy (four kernels),
 * instead of autograd's chain back through max, exp, sum and log.
 */
export class LogSoftmax extends autodiff.Function {
  private y: Tensor | null = null;
  constructor(private readonly axis: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    this.y = logSoftmaxValues(x, this.axis);
    return this.y;
  }
  backward(dy: Tensor): Tensor {
    const y = this.y as Tensor;
    return sub(dy, mul(exp(y), sum(dy, this.axis, true)));
  }
}
