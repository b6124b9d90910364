import { type Pair, type Parameter, pair, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { normalParameter, positiveInt, zerosParameter } from './init.js';
import { Module } from './module.js';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/**
 * MegEngine's M.Conv2d. weight is (O, C, KH, KW), or (G, O/G, C/G, KH, KW) when
 * grouped; bias is (1, O, 1, 1). Weights start as N(0, 1/fan_in), bias as zeros.
 */
export class Conv2d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super();
    this.inChannels = positiveInt('Conv2d', 'inChannels', inChannels);
    this.outChannels = positiveInt('Conv2d', 'outChannels', outChannels);
    this.kernelSize = pair('Conv2d', 'kernelSize', kernelSize, 1);
    this.stride = pair('Conv2d', 'stride', options.stride ?? 1, 1);
    this.padding = pair('Conv2d', 'padding', options.padding ?? 0, 0);
    this.dilation = pair('Conv2d', 'dilation', options.dilation ?? 1, 1);
    const g = (this.groups = positiveInt('Conv2d', 'groups', options.groups ?? 1));
    if (inChannels % g !== 0 || outChannels % g !== 0) {
      throw new Error(`Conv2d: groups (${g}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    const [kh, kw] = this.kernelSize;
    const fanIn = (inChannels / g) * kh * kw;
    const shape = g === 1 ? [outChannels, inChannels, kh, kw] : [g, outChannels / g, inChannels / g, kh, kw];
    this.weight = normalParameter(shape, Math.sqrt(1 / fanIn));
    this.bias = options.bias === false ? null : zerosParameter([1, outChannels, 1, 1]);
  }

  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  protected override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize.join(', ')})`];
    if (this.stride.some((s) => s !== 1)) parts.push(`stride=(${this.stride.join(', ')})`);
    if (this.padding.some((s) => s !== 0)) parts.push(`padding=(${this.padding.join(', ')})`);
    if (this.dilation.some((s) => s !== 1)) parts.push(`dilation=(${this.dilation.join(', ')})`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=False');
    return parts.join(', ');
  }
}
