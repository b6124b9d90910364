// Operators whose gradient is written out (fewer passes over memory than autograd's chain).
// Not re-exported from the package: the public operator is softmax (activation.ts). GELU and
// the norms' standardisation are core operators (gelu, standardize) with kernels of their own.
import { autodiff, div, exp, max, mul, sub, sum, type Tensor } from '@mge/core';

/**
 * softmax along `axis` with its gradient written out, dx = y·(dy − Σ dy·y) (four kernels),
 * instead of autograd's chain back through div, sum, exp and sub (about twice as many passes
 * over the attention scores of a transformer).
 */
export class Softmax extends autodiff.Function {
  private y: Tensor | null = null;
  constructor(private readonly axis: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    const e = exp(sub(x, max(x, this.axis, true)));
    this.y = div(e, sum(e, this.axis, true));
    return this.y;
  }
  backward(dy: Tensor): Tensor {
    const y = this.y as Tensor;
    return mul(y, sub(dy, sum(mul(dy, y), this.axis, true)));
  }
}
