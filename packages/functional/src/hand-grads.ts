// Operators whose gradient is written out (fewer passes over memory than autograd's chain).
// Not re-exported from the package: the public operators are softmax, gelu (activation.ts) and
// layerNorm/groupNorm/instanceNorm (normalization-layers.ts).
import { add, autodiff, div, erf, exp, max, mean, mul, scaledAdd, sqrt, sub, sum, type Tensor } from '@mge/core';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

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

/**
 * Exact GELU, x·Φ(x), with its gradient written out, dx = dy·(Φ(x) + x·φ(x)) (six kernels),
 * instead of autograd's chain back through erf (whose own rule builds exp(−x²) from four).
 */
export class Gelu extends autodiff.Function {
  private x: Tensor | null = null;
  /** 1 + erf(x/√2) = 2·Φ(x), from the forward pass. */
  private cdf2: Tensor | null = null;
  forward(x: Tensor): Tensor {
    this.x = x;
    this.cdf2 = add(erf(mul(x, Math.SQRT1_2)), 1);
    return mul(mul(x, 0.5), this.cdf2);
  }
  backward(dy: Tensor): Tensor {
    const x = this.x as Tensor;
    const xpdf = mul(x, exp(mul(mul(x, x), -0.5))); // x·φ(x)·√(2π)
    return mul(dy, scaledAdd(this.cdf2 as Tensor, xpdf, 0.5, INV_SQRT_2PI));
  }
}

/**
 * (x − mean) / sqrt(var + eps) over `axes` (biased variance), with its gradient written out,
 * dx = (dy − mean(dy) − y·mean(dy·y)) / sqrt(var + eps) (five passes and two reductions),
 * instead of autograd's chain back through div, sqrt, mean, mul and sub.
 */
export class Standardize extends autodiff.Function {
  private y: Tensor | null = null;
  /** sqrt(var + eps), one value per normalised group. */
  private std: Tensor | null = null;
  constructor(
    private readonly axes: number[],
    private readonly eps: number,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    const d = sub(x, mean(x, this.axes, true));
    this.std = sqrt(add(mean(mul(d, d), this.axes, true), this.eps));
    this.y = div(d, this.std);
    return this.y;
  }
  backward(dy: Tensor): Tensor {
    const y = this.y as Tensor;
    const centred = sub(dy, mean(dy, this.axes, true));
    return div(sub(centred, mul(y, mean(mul(dy, y), this.axes, true))), this.std as Tensor);
  }
}
