import type { Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { Module } from './module.js';

export class Dropout extends Module {
  constructor(readonly dropProb = 0.5) {
    super();
    if (!(dropProb >= 0 && dropProb < 1)) throw new RangeError(`Dropout: argument 'dropProb' must be in [0, 1), got ${dropProb}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.dropProb, this.training);
  }
  protected override extraRepr(): string {
    return `drop_prob=${this.dropProb}`;
  }
}
