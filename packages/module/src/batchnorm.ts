import { full, Parameter, shapeToString, type Tensor, zeros } from '@mge/core';
import * as F from '@mge/functional';
import { positiveInt, zerosParameter } from './init.js';
import { Module } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  /** Fraction of the running statistics kept per update (MegEngine: 0.9). */
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * MegEngine's batch norm: weight and bias are (C,), running statistics (1, C, 1, 1);
 * training uses batch statistics and updates the running ones in place.
 */
abstract class BatchNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    readonly numFeatures: number,
    options: BatchNormOptions,
    private readonly ranks: number[],
  ) {
    super();
    positiveInt(this.constructor.name, 'numFeatures', numFeatures);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.9;
    const affine = options.affine ?? true;
    const track = options.trackRunningStats ?? true;
    this.weight = affine ? new Parameter(full([numFeatures], 1)) : null;
    this.bias = affine ? zerosParameter([numFeatures]) : null;
    const statShape = [1, numFeatures, 1, 1];
    this.runningMean = track ? zeros(statShape) : null;
    this.runningVar = track ? full(statShape, 1) : null;
  }

  forward(x: Tensor): Tensor {
    if (!this.ranks.includes(x.ndim)) {
      throw new Error(`${this.constructor.name}: expected a ${this.ranks.join('- or ')}-d input, got ${shapeToString(x.shape)}`);
    }
    const useBatch = this.training || !this.runningMean;
    return F.batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: useBatch,
      momentum: this.momentum,
      eps: this.eps,
    });
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight ? 'True' : 'False'}`;
  }
}

export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [4]);
  }
}

export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [2, 3]);
  }
}
