import { type Pair, type Parameter, pair, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { normalParameter, positiveInt, zerosParameter } from './init.js';
import { Module } from './module.js';

function tuple(op: string, arg: string, v: number | readonly number[], n: number, min: number): number[] {
  const t = typeof v === 'number' ? new Array(n).fill(v) : [...v];
  if (t.length !== n || !t.every((x) => Number.isInteger(x) && x >= min)) {
    throw new TypeError(`${op}: argument '${arg}' must be an integer ≥ ${min} or ${n} of them, got ${JSON.stringify(v)}`);
  }
  return t;
}

function channels(op: string, inChannels: number, outChannels: number, groups: number): void {
  positiveInt(op, 'inChannels', inChannels);
  positiveInt(op, 'outChannels', outChannels);
  positiveInt(op, 'groups', groups);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new Error(`${op}: groups (${groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
  }
}

const show = (t: readonly number[]) => `(${t.join(', ')})`;

export interface Conv1dOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  groups?: number;
  bias?: boolean;
}

/**
 * MegEngine's M.Conv1d: weight (O, C, K), or (G, O/G, C/G, K) when grouped, from
 * N(0, 1/(C·K)); bias (1, O, 1) zeros.
 */
export class Conv1d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv1dOptions = {},
  ) {
    super();
    const g = (this.groups = options.groups ?? 1);
    channels('Conv1d', inChannels, outChannels, g);
    positiveInt('Conv1d', 'kernelSize', kernelSize);
    [this.stride] = tuple('Conv1d', 'stride', options.stride ?? 1, 1, 1);
    [this.padding] = tuple('Conv1d', 'padding', options.padding ?? 0, 1, 0);
    [this.dilation] = tuple('Conv1d', 'dilation', options.dilation ?? 1, 1, 1);
    const shape = g === 1 ? [outChannels, inChannels, kernelSize] : [g, outChannels / g, inChannels / g, kernelSize];
    this.weight = normalParameter(shape, Math.sqrt(1 / (inChannels * kernelSize)));
    this.bias = options.bias === false ? null : zerosParameter([1, outChannels, 1]);
  }

  forward(x: Tensor): Tensor {
    return F.conv1d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}, dilation=${this.dilation}, groups=${this.groups}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

export interface Conv3dOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
  bias?: boolean;
}

/**
 * MegEngine's M.Conv3d: weight (O, C, KD, KH, KW), or (G, O/G, C/G, KD, KH, KW) when
 * grouped, from N(0, 1/(C·KD·KH·KW)); bias (1, O, 1, 1, 1) zeros.
 */
export class Conv3d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly number[],
    options: Conv3dOptions = {},
  ) {
    super();
    const g = (this.groups = options.groups ?? 1);
    channels('Conv3d', inChannels, outChannels, g);
    const k = (this.kernelSize = tuple('Conv3d', 'kernelSize', kernelSize, 3, 1));
    this.stride = tuple('Conv3d', 'stride', options.stride ?? 1, 3, 1);
    this.padding = tuple('Conv3d', 'padding', options.padding ?? 0, 3, 0);
    this.dilation = tuple('Conv3d', 'dilation', options.dilation ?? 1, 3, 1);
    const shape = g === 1 ? [outChannels, inChannels, ...k] : [g, outChannels / g, inChannels / g, ...k];
    this.weight = normalParameter(shape, Math.sqrt(1 / (inChannels * k[0] * k[1] * k[2])));
    this.bias = options.bias === false ? null : zerosParameter([1, outChannels, 1, 1, 1]);
  }

  forward(x: Tensor): Tensor {
    return F.conv3d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, dilation=${show(this.dilation)}, groups=${this.groups}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/**
 * MegEngine's M.ConvTranspose2d: weight (IC, OC, KH, KW), or (G, IC/G, OC/G, KH, KW) when
 * grouped, from N(0, 1/(OC·KH·KW)); bias (1, OC, 1, 1) zeros.
 */
export class ConvTranspose2d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    options: ConvTranspose2dOptions = {},
  ) {
    super();
    const op = 'ConvTranspose2d';
    const g = (this.groups = options.groups ?? 1);
    channels(op, inChannels, outChannels, g);
    const [kh, kw] = (this.kernelSize = pair(op, 'kernelSize', kernelSize, 1));
    this.stride = pair(op, 'stride', options.stride ?? 1, 1);
    this.padding = pair(op, 'padding', options.padding ?? 0, 0);
    this.outputPadding = pair(op, 'outputPadding', options.outputPadding ?? 0, 0);
    this.dilation = pair(op, 'dilation', options.dilation ?? 1, 1);
    const shape = g === 1 ? [inChannels, outChannels, kh, kw] : [g, inChannels / g, outChannels / g, kh, kw];
    this.weight = normalParameter(shape, Math.sqrt(1 / (outChannels * kh * kw)));
    this.bias = options.bias === false ? null : zerosParameter([1, outChannels, 1, 1]);
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, dilation=${show(this.dilation)}, groups=${this.groups}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

export interface LocalConv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/**
 * MegEngine's M.LocalConv2d (untied filters, no bias) for inputs of a fixed
 * inputHeight × inputWidth: weight (G, OH, OW, C/G, KH, KW, O/G) from N(0, 1/(C·KH·KW)).
 */
export class LocalConv2d extends Module {
  weight: Parameter;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly inputHeight: number,
    readonly inputWidth: number,
    kernelSize: Pair,
    options: LocalConv2dOptions = {},
  ) {
    super();
    const op = 'LocalConv2d';
    const g = (this.groups = options.groups ?? 1);
    channels(op, inChannels, outChannels, g);
    positiveInt(op, 'inputHeight', inputHeight);
    positiveInt(op, 'inputWidth', inputWidth);
    const [kh, kw] = (this.kernelSize = pair(op, 'kernelSize', kernelSize, 1));
    const [sh, sw] = (this.stride = pair(op, 'stride', options.stride ?? 1, 1));
    const [ph, pw] = (this.padding = pair(op, 'padding', options.padding ?? 0, 0));
    const [dh, dw] = (this.dilation = pair(op, 'dilation', options.dilation ?? 1, 1));
    const oh = Math.floor((inputHeight + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
    const ow = Math.floor((inputWidth + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
    if (oh < 1 || ow < 1)
      throw new Error(`${op}: the kernel ${kh}×${kw} does not fit the padded input ${inputHeight + 2 * ph}×${inputWidth + 2 * pw}`);
    this.weight = normalParameter([g, oh, ow, inChannels / g, kh, kw, outChannels / g], Math.sqrt(1 / (inChannels * kh * kw)));
  }

  forward(x: Tensor): Tensor {
    return F.localConv2d(x, this.weight, null, { stride: this.stride, padding: this.padding, dilation: this.dilation });
  }

  protected override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, input_height=${this.inputHeight}, input_width=${this.inputWidth}, kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, groups=${this.groups}`;
  }
}
