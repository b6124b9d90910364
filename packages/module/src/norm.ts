import { full, Parameter, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { positiveInt, zerosParameter } from './init.js';
import { Module } from './module.js';

/** A float as Python's repr writes it (1e-05, 0.001), so reprs read like MegEngine's. */
function pyFloat(v: number): string {
  const a = Math.abs(v);
  if (a === 0 || (a >= 1e-4 && a < 1e16)) return Number.isInteger(v) ? v.toFixed(1) : String(v);
  return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

export interface NormOptions {
  eps?: number;
  affine?: boolean;
}

/** MegEngine's M.GroupNorm: weight (C,) ones, bias (C,) zeros. */
export class GroupNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly eps: number;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: NormOptions = {},
  ) {
    super();
    positiveInt('GroupNorm', 'numGroups', numGroups);
    positiveInt('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) throw new Error(`GroupNorm: numGroups (${numGroups}) must divide numChannels (${numChannels})`);
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(full([numChannels], 1)) : null;
    this.bias = affine ? zerosParameter([numChannels]) : null;
  }

  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, { affine: !!this.weight, weight: this.weight, bias: this.bias, eps: this.eps });
  }

  protected override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${this.weight ? 'True' : 'False'}`;
  }
}

/** MegEngine's M.InstanceNorm: weight (C,) ones, bias (C,) zeros. */
export class InstanceNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly eps: number;

  constructor(
    readonly numChannels: number,
    options: NormOptions = {},
  ) {
    super();
    positiveInt('InstanceNorm', 'numChannels', numChannels);
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(full([numChannels], 1)) : null;
    this.bias = affine ? zerosParameter([numChannels]) : null;
  }

  forward(x: Tensor): Tensor {
    return F.instanceNorm(x, { affine: !!this.weight, weight: this.weight, bias: this.bias, eps: this.eps });
  }

  protected override extraRepr(): string {
    return `${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${this.weight ? 'True' : 'False'}`;
  }
}

/** MegEngine's M.LayerNorm: weight ones and bias zeros of normalizedShape. */
export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], options: NormOptions = {}) {
    super();
    const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (ns.length === 0)
      throw new TypeError(`LayerNorm: argument 'normalizedShape' must be a positive integer or a non-empty list of them, got []`);
    for (const d of ns) positiveInt('LayerNorm', 'normalizedShape', d);
    this.normalizedShape = ns;
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(full(ns, 1)) : null;
    this.bias = affine ? zerosParameter(ns) : null;
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, { affine: !!this.weight, weight: this.weight, bias: this.bias, eps: this.eps });
  }

  protected override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}${this.normalizedShape.length === 1 ? ',' : ''}), eps=${pyFloat(this.eps)}, affine=${this.weight ? 'True' : 'False'}`;
  }
}

/** MegEngine's M.LocalResponseNorm (kernelSize 5, k 2, alpha 1e-4, beta 0.75 by default). */
export class LocalResponseNorm extends Module {
  constructor(
    readonly kernelSize = 5,
    readonly k = 2.0,
    readonly alpha = 1e-4,
    readonly beta = 0.75,
  ) {
    super();
    positiveInt('LocalResponseNorm', 'kernelSize', kernelSize);
    if (kernelSize % 2 === 0) throw new Error(`LocalResponseNorm: argument 'kernelSize' must be odd, got ${kernelSize}`);
  }

  forward(x: Tensor): Tensor {
    return F.localResponseNorm(x, { kernelSize: this.kernelSize, k: this.k, alpha: this.alpha, beta: this.beta });
  }

  protected override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, k=${pyFloat(this.k)}, alpha=${pyFloat(this.alpha)}, beta=${pyFloat(this.beta)}`;
  }
}
