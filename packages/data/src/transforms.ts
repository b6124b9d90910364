import { checkNonNegativeInt, describe } from './errors.js';

/** One image, channel-major (C×H×W). Transforms return a new Image and never write into their input. */
export interface Image {
  data: Uint8Array | Float32Array;
  channels: number;
  height: number;
  width: number;
}

export type Transform = (image: Image) => Image;

/**
 * MegEngine's (and torchvision's) MNIST statistics, for pixels scaled to [0, 1]:
 * normalize(MNIST_MEAN, MNIST_STD) after toTensor() equals MegEngine's
 * Normalize(mean=0.1307*255, std=0.3081*255) on raw bytes.
 */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

function checkImage(owner: string, image: Image): void {
  if (image === null || typeof image !== 'object' || !(image.data instanceof Uint8Array || image.data instanceof Float32Array)) {
    throw new TypeError(`${owner}: expected an Image {data: Uint8Array | Float32Array, channels, height, width}, got ${describe(image)}`);
  }
  const size = image.channels * image.height * image.width;
  if (image.data.length !== size) {
    throw new RangeError(
      `${owner}: image of ${image.channels}×${image.height}×${image.width} needs ${size} values, got ${image.data.length}`,
    );
  }
}

/** Adds `padding` pixels of value `fill` on every side (pad(2) turns MNIST's 28×28 into LeNet's 32×32). */
export function pad(padding: number, fill = 0): Transform {
  checkNonNegativeInt('pad', 'padding', padding);
  if (typeof fill !== 'number' || !Number.isFinite(fill)) {
    throw new TypeError(`pad: fill must be a finite number, got ${describe(fill)}`);
  }
  return (image) => {
    checkImage('pad', image);
    const { channels: c, height: h, width: w } = image;
    const ph = h + 2 * padding;
    const pw = w + 2 * padding;
    const isBytes = image.data instanceof Uint8Array;
    if (isBytes && !(Number.isInteger(fill) && fill >= 0 && fill <= 255)) {
      throw new RangeError(`pad: fill for a uint8 image must be an integer in [0, 255], got ${fill}`);
    }
    const out = isBytes ? new Uint8Array(c * ph * pw) : new Float32Array(c * ph * pw);
    if (fill !== 0) out.fill(fill);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        const src = (ch * h + y) * w;
        out.set(image.data.subarray(src, src + w), (ch * ph + y + padding) * pw + padding);
      }
    }
    return { data: out, channels: c, height: ph, width: pw };
  };
}

/**
 * Converts bytes to float32 in [0, 1] (x / 255), like torchvision's ToTensor. A float32 image is
 * assumed to be converted already and is returned unchanged. (The conversion to a core Tensor of
 * shape (N, C, H, W) happens when the DataLoader stacks a batch.)
 */
export function toTensor(): Transform {
  return (image) => {
    checkImage('toTensor', image);
    if (image.data instanceof Float32Array) return image;
    const out = new Float32Array(image.data.length);
    for (let i = 0; i < out.length; i++) out[i] = image.data[i] / 255;
    return { ...image, data: out };
  };
}

function perChannel(owner: string, name: string, value: number | readonly number[], positive: boolean): readonly number[] {
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`${owner}: ${name} must be a finite number or a non-empty array of them, got ${describe(value)}`);
  }
  if (positive && !list.every((v) => v > 0)) {
    throw new RangeError(`${owner}: ${name} must be positive, got ${JSON.stringify(value)}`);
  }
  return list;
}

/**
 * (x - mean) / std per channel; a single number applies to every channel. Works on float32 images and on
 * raw bytes (MegEngine style, with mean and std in 0..255 units); the result is float32.
 */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): Transform {
  const m = perChannel('normalize', 'mean', mean, false);
  const s = perChannel('normalize', 'std', std, true);
  return (image) => {
    checkImage('normalize', image);
    const { channels: c, height: h, width: w } = image;
    for (const [name, list] of [
      ['mean', m],
      ['std', s],
    ] as const) {
      if (list.length !== 1 && list.length !== c) {
        throw new RangeError(`normalize: ${name} must have 1 or ${c} values for a ${c}-channel image, got ${list.length}`);
      }
    }
    const out = new Float32Array(image.data.length);
    const plane = h * w;
    for (let ch = 0; ch < c; ch++) {
      const mu = m.length === 1 ? m[0] : m[ch];
      const inv = 1 / (s.length === 1 ? s[0] : s[ch]);
      for (let i = ch * plane; i < (ch + 1) * plane; i++) out[i] = (image.data[i] - mu) * inv;
    }
    return { data: out, channels: c, height: h, width: w };
  };
}

/** Applies transforms left to right. */
export function compose(transforms: readonly Transform[]): Transform {
  if (!Array.isArray(transforms)) {
    throw new TypeError(`compose: transforms must be an array of functions, got ${describe(transforms)}`);
  }
  transforms.forEach((t, i) => {
    if (typeof t !== 'function') throw new TypeError(`compose: transforms[${i}] must be a function, got ${describe(t)}`);
  });
  const list = [...transforms];
  return (image) => list.reduce((img, t) => t(img), image);
}

/** The usual LeNet-on-MNIST pipeline: pad 28→32, scale to [0, 1], normalize with MNIST_MEAN / MNIST_STD. */
export function mnistTransform(): Transform {
  return compose([pad(2), toTensor(), normalize(MNIST_MEAN, MNIST_STD)]);
}
