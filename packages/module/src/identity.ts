import type { Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { Module } from './module.js';

/** Layers that pass their input through, reshaped at most. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens axes startAxis..endAxis (default: all but the batch axis). */
export class Flatten extends Module {
  constructor(
    readonly startAxis = 1,
    readonly endAxis = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.flatten(x, this.startAxis, this.endAxis);
  }
}
