import { concat, mean, reshape, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import * as M from '@mge/module';

/**
 * Splits (N, C, H, W) into its even and odd channels — the channel shuffle of the
 * previous block's concat followed by the split of this one: each half is one strided copy of
 * x seen as (N, C/2, 2, H·W), with no transposed copy of the whole in between.
 */
export function channelShuffle(x: Tensor): [Tensor, Tensor] {
  const [n, c, h, w] = x.shape;
  if (x.ndim !== 4 || c % 2 !== 0) throw new Error(`channelShuffle: expected (N, C, H, W) with C even, got (${x.shape.join(', ')})`);
  const [a, b] = F.split(reshape(x, [n, c / 2, 2, h * w]), 2, 2);
  return [reshape(a, [n, c / 2, h, w]), reshape(b, [n, c / 2, h, w])];
}

/** Megvii's ShuffleV2Block: a pw-dw-pw main branch next to an identity (stride 1) or dw-pw projection (stride 2). */
export class ShuffleV2Block extends M.Module {
  branchMain: M.Sequential;
  branchProj: M.Sequential | null;
  readonly stride: number;

  constructor(inp: number, oup: number, midChannels: number, options: { ksize?: number; stride?: number } = {}) {
    super();
    const ksize = options.ksize ?? 3;
    const stride = (this.stride = options.stride ?? 1);
    if (stride !== 1 && stride !== 2) throw new TypeError(`ShuffleV2Block: option 'stride' must be 1 or 2, got ${stride}`);
    if (!(oup > inp)) throw new Error(`ShuffleV2Block: argument 'oup' (${oup}) must exceed 'inp' (${inp})`);
    const pad = Math.floor(ksize / 2);
    const outputs = oup - inp;
    this.branchMain = new M.Sequential(
      new M.Conv2d(inp, midChannels, 1, { bias: false }),
      new M.BatchNorm2d(midChannels),
      new M.ReLU(),
      new M.Conv2d(midChannels, midChannels, ksize, { stride, padding: pad, groups: midChannels, bias: false }),
      new M.BatchNorm2d(midChannels),
      new M.Conv2d(midChannels, outputs, 1, { bias: false }),
      new M.BatchNorm2d(outputs),
      new M.ReLU(),
    );
    this.branchProj =
      stride === 2
        ? new M.Sequential(
            new M.Conv2d(inp, inp, ksize, { stride, padding: pad, groups: inp, bias: false }),
            new M.BatchNorm2d(inp),
            new M.Conv2d(inp, inp, 1, { bias: false }),
            new M.BatchNorm2d(inp),
            new M.ReLU(),
          )
        : null;
  }

  forward(x: Tensor): Tensor {
    if (this.branchProj) return concat([this.branchProj(x), this.branchMain(x)], 1);
    const [proj, main] = channelShuffle(x);
    return concat([proj, this.branchMain(main)], 1);
  }
}

export type ShuffleNetV2Size = '0.5x' | '1.0x' | '1.5x' | '2.0x';

const STAGE_CHANNELS: Record<ShuffleNetV2Size, number[]> = {
  '0.5x': [24, 48, 96, 192, 1024],
  '1.0x': [24, 116, 232, 464, 1024],
  '1.5x': [24, 176, 352, 704, 1024],
  '2.0x': [24, 244, 488, 976, 2048],
};

export interface ShuffleNetV2Options {
  numClasses?: number;
  modelSize?: ShuffleNetV2Size;
  /** Blocks per stage (hub: [4, 8, 4]; fewer for tests). */
  stageRepeats?: readonly number[];
  /** Channels [stem, stage2, stage3, stage4, last]; overrides modelSize (for tests). */
  stageOutChannels?: readonly number[];
}

/** MegEngine hub's ShuffleNetV2 (Megvii's reference layout and state-dict names). */
export class ShuffleNetV2 extends M.Module {
  firstConv: M.Sequential;
  maxpool: M.MaxPool2d;
  features: M.Sequential;
  convLast: M.Sequential;
  dropout: M.Dropout | null;
  classifier: M.Sequential;

  constructor(options: ShuffleNetV2Options = {}) {
    super();
    const size = options.modelSize ?? '1.5x';
    if (!(size in STAGE_CHANNELS))
      throw new TypeError(`ShuffleNetV2: option 'modelSize' must be one of ${Object.keys(STAGE_CHANNELS).join(', ')}, got ${String(size)}`);
    const ch = options.stageOutChannels ?? STAGE_CHANNELS[size];
    const repeats = options.stageRepeats ?? [4, 8, 4];
    if (ch.length !== 5 || ch.some((c, i) => !Number.isInteger(c) || c < 1 || (i > 0 && i < 4 && c % 2 !== 0))) {
      throw new TypeError(
        `ShuffleNetV2: option 'stageOutChannels' must be 5 positive integers with even stage widths, got ${JSON.stringify(ch)}`,
      );
    }
    if (repeats.length !== 3 || repeats.some((r) => !Number.isInteger(r) || r < 1)) {
      throw new TypeError(`ShuffleNetV2: option 'stageRepeats' must be 3 positive integers, got ${JSON.stringify(repeats)}`);
    }
    const numClasses = options.numClasses ?? 1000;
    if (!Number.isInteger(numClasses) || numClasses < 1)
      throw new TypeError(`ShuffleNetV2: option 'numClasses' must be a positive integer, got ${numClasses}`);
    let c = ch[0];
    this.firstConv = new M.Sequential(new M.Conv2d(3, c, 3, { stride: 2, padding: 1, bias: false }), new M.BatchNorm2d(c), new M.ReLU());
    this.maxpool = new M.MaxPool2d(3, 2, 1);
    const blocks: M.Module[] = [];
    for (let s = 0; s < 3; s++) {
      const out = ch[s + 1];
      for (let i = 0; i < repeats[s]; i++) {
        blocks.push(i === 0 ? new ShuffleV2Block(c, out, out / 2, { stride: 2 }) : new ShuffleV2Block(c / 2, out, out / 2, { stride: 1 }));
        c = out;
      }
    }
    this.features = new M.Sequential(...blocks);
    this.convLast = new M.Sequential(new M.Conv2d(c, ch[4], 1, { bias: false }), new M.BatchNorm2d(ch[4]), new M.ReLU());
    this.dropout = size === '2.0x' && !options.stageOutChannels ? new M.Dropout(0.2) : null;
    this.classifier = new M.Sequential(new M.Linear(ch[4], numClasses, { bias: false }));
  }

  forward(x: Tensor): Tensor {
    x = this.maxpool(this.firstConv(x));
    x = this.convLast(this.features(x));
    // the hub's AvgPool2d(7) at 224×224; a global mean at any size
    x = mean(x, [2, 3]);
    if (this.dropout) x = this.dropout(x);
    return this.classifier(x);
  }
}

export const shufflenetV2X05 = (options: Omit<ShuffleNetV2Options, 'modelSize'> = {}) =>
  new ShuffleNetV2({ ...options, modelSize: '0.5x' });
export const shufflenetV2X10 = (options: Omit<ShuffleNetV2Options, 'modelSize'> = {}) =>
  new ShuffleNetV2({ ...options, modelSize: '1.0x' });
export const shufflenetV2X15 = (options: Omit<ShuffleNetV2Options, 'modelSize'> = {}) =>
  new ShuffleNetV2({ ...options, modelSize: '1.5x' });
export const shufflenetV2X20 = (options: Omit<ShuffleNetV2Options, 'modelSize'> = {}) =>
  new ShuffleNetV2({ ...options, modelSize: '2.0x' });
