import { type Pair, pair, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { Module } from './module.js';

/** MegEngine's M.AdaptiveAvgPool2d: any (H, W) → oshp. */
export class AdaptiveAvgPool2d extends Module {
  readonly oshp: [number, number];
  constructor(oshp: Pair) {
    super();
    this.oshp = pair('AdaptiveAvgPool2d', 'oshp', oshp, 1);
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.oshp);
  }
  protected override extraRepr(): string {
    return `oshp=(${this.oshp.join(', ')})`;
  }
}

/** MegEngine's M.AdaptiveMaxPool2d: any (H, W) → oshp. */
export class AdaptiveMaxPool2d extends Module {
  readonly oshp: [number, number];
  constructor(oshp: Pair) {
    super();
    this.oshp = pair('AdaptiveMaxPool2d', 'oshp', oshp, 1);
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveMaxPool2d(x, this.oshp);
  }
  protected override extraRepr(): string {
    return `oshp=(${this.oshp.join(', ')})`;
  }
}
