import type { Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return F.gelu(x);
  }
}
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
  protected override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}
export class Softmax extends Module {
  constructor(readonly axis: number | null = null) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.softmax(x, this.axis);
  }
  protected override extraRepr(): string {
    return this.axis === null ? '' : `axis=${this.axis}`;
  }
}
