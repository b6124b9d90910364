import { mean, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import * as M from '@mge/module';

/** conv (no bias) → BN → ReLU6, as one Sequential ("0", "1", "2"). */
function convBNReLU(inp: number, oup: number, kernel: number, stride = 1, groups = 1): M.Sequential {
  return new M.Sequential(
    new M.Conv2d(inp, oup, kernel, { stride, padding: (kernel - 1) / 2, groups, bias: false }),
    new M.BatchNorm2d(oup),
    new M.ReLU6(),
  );
}

/** An inverted residual: 1×1 expand, 3×3 depthwise, 1×1 linear projection; residual when shapes match. */
export class InvertedResidual extends M.Module {
  conv: M.Sequential;
  readonly useResidual: boolean;

  constructor(inp: number, oup: number, stride: number, expandRatio: number) {
    super();
    if (stride !== 1 && stride !== 2) throw new TypeError(`InvertedResidual: argument 'stride' must be 1 or 2, got ${stride}`);
    const hidden = Math.round(inp * expandRatio);
    this.useResidual = stride === 1 && inp === oup;
    const layers: M.Module[] = [];
    if (expandRatio !== 1) layers.push(convBNReLU(inp, hidden, 1));
    layers.push(convBNReLU(hidden, hidden, 3, stride, hidden), new M.Conv2d(hidden, oup, 1, { bias: false }), new M.BatchNorm2d(oup));
    this.conv = new M.Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    return this.useResidual ? F.add(x, this.conv(x)) : this.conv(x);
  }
}

/** The channel count rounded to a multiple of `divisor`, never more than 10 % below `v`. */
function makeDivisible(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return n < 0.9 * v ? n + divisor : n;
}

export interface MobileNetV2Options {
  numClasses?: number;
  widthMult?: number;
  /** Rows (t, c, n, s) of expansion, channels, repeats, first stride; the paper's table by default. */
  settings?: readonly (readonly [number, number, number, number])[];
  /** Channels after the stem (32) and of the last 1×1 conv (1280) before widthMult. */
  inputChannel?: number;
  lastChannel?: number;
  dropout?: number;
}

const DEFAULT_SETTINGS: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** MobileNetV2: `features` (stem, inverted residuals, last 1×1 conv), global pool, `classifier` (dropout, fc). */
export class MobileNetV2 extends M.Module {
  features: M.Sequential;
  classifier: M.Sequential;

  constructor(options: MobileNetV2Options = {}) {
    super();
    const widthMult = options.widthMult ?? 1;
    if (!(widthMult > 0)) throw new TypeError(`MobileNetV2: option 'widthMult' must be positive, got ${widthMult}`);
    const numClasses = options.numClasses ?? 1000;
    if (!Number.isInteger(numClasses) || numClasses < 1)
      throw new TypeError(`MobileNetV2: option 'numClasses' must be a positive integer, got ${numClasses}`);
    const settings = options.settings ?? DEFAULT_SETTINGS;
    for (const row of settings) {
      if (row.length !== 4 || row.some((v) => !Number.isInteger(v) || v < 1))
        throw new TypeError(`MobileNetV2: each setting must be 4 positive integers (t, c, n, s), got ${JSON.stringify(row)}`);
    }
    let c = makeDivisible((options.inputChannel ?? 32) * widthMult);
    const last = makeDivisible((options.lastChannel ?? 1280) * Math.max(1, widthMult));
    const layers: M.Module[] = [convBNReLU(3, c, 3, 2)];
    for (const [t, ch, n, s] of settings) {
      const out = makeDivisible(ch * widthMult);
      for (let i = 0; i < n; i++) {
        layers.push(new InvertedResidual(c, out, i === 0 ? s : 1, t));
        c = out;
      }
    }
    layers.push(convBNReLU(c, last, 1));
    this.features = new M.Sequential(...layers);
    this.classifier = new M.Sequential(new M.Dropout(options.dropout ?? 0.2), new M.Linear(last, numClasses));
  }

  forward(x: Tensor): Tensor {
    return this.classifier(mean(this.features(x), [2, 3]));
  }
}

export const mobilenetV2 = (options: MobileNetV2Options = {}): MobileNetV2 => new MobileNetV2(options);
