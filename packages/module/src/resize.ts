import { type Pair, pair, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import { positiveInt } from './init.js';
import { Module } from './module.js';

/** MegEngine's M.PixelShuffle: (*, C·r², H, W) → (*, C, H·r, W·r). */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
    positiveInt('PixelShuffle', 'upscaleFactor', upscaleFactor);
  }
  forward(x: Tensor): Tensor {
    return F.pixelShuffle(x, this.upscaleFactor);
  }
  protected override extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}

/** MegEngine's M.SlidingWindow (unfold): (N, C, H, W) → (N, C, OH, OW, KH, KW). */
export class SlidingWindow extends Module {
  readonly kernelSize: [number, number];
  readonly padding: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  constructor(kernelSize: Pair, padding: Pair = 0, stride: Pair = 1, dilation: Pair = 1) {
    super();
    const op = 'SlidingWindow';
    this.kernelSize = pair(op, 'kernelSize', kernelSize, 1);
    this.padding = pair(op, 'padding', padding, 0);
    this.stride = pair(op, 'stride', stride, 1);
    this.dilation = pair(op, 'dilation', dilation, 1);
  }
  forward(x: Tensor): Tensor {
    return F.slidingWindow(x, this.kernelSize, { padding: this.padding, stride: this.stride, dilation: this.dilation });
  }
  protected override extraRepr(): string {
    return `kernel_size=(${this.kernelSize.join(', ')}), padding=(${this.padding.join(', ')}), stride=(${this.stride.join(', ')}), dilation=(${this.dilation.join(', ')})`;
  }
}

/** MegEngine's M.Pad: F.nn.pad with fixed padWidth, mode and constant value. */
export class Pad extends Module {
  constructor(
    readonly padWidth: readonly (readonly [number, number])[],
    readonly mode: F.PadMode = 'constant',
    readonly constantVal = 0,
  ) {
    super();
    if (!['constant', 'reflect', 'replicate', 'edge'].includes(mode)) {
      throw new Error(`Pad: argument 'mode' must be 'constant', 'reflect', 'replicate' or 'edge', got ${JSON.stringify(mode)}`);
    }
  }
  forward(x: Tensor): Tensor {
    return F.pad(x, this.padWidth, this.mode, this.constantVal);
  }
  protected override extraRepr(): string {
    return `pad_width=${JSON.stringify(this.padWidth)}, mode=${this.mode}, constant_val=${this.constantVal}`;
  }
}
