import type { Parameter, Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { normalParameter, positiveInt, zerosParameter } from './init.js';
import { Module } from './module.js';

/** MegEngine's M.Linear: weight (out, in) from N(0, 1/in), bias (out,) zeros. */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean } = {}) {
    super();
    this.inFeatures = positiveInt('Linear', 'inFeatures', inFeatures);
    this.outFeatures = positiveInt('Linear', 'outFeatures', outFeatures);
    this.weight = normalParameter([outFeatures, inFeatures], Math.sqrt(1 / inFeatures));
    this.bias = options.bias === false ? null : zerosParameter([outFeatures]);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}
