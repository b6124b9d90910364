import type { Pair, Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { Module } from './module.js';

const show = (p: Pair) => (typeof p === 'number' ? String(p) : `(${p.join(', ')})`);

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly stride: Pair | null = null,
    readonly padding: Pair = 0,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.kernelSize, this.stride, this.padding);
  }
  protected override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride ?? this.kernelSize)}, padding=${show(this.padding)}`;
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly stride: Pair | null = null,
    readonly padding: Pair = 0,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernelSize, this.stride, this.padding);
  }
  protected override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride ?? this.kernelSize)}, padding=${show(this.padding)}`;
  }
}
