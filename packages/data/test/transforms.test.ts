import { describe, expect, it } from 'vitest';
import { compose, type Image, MNIST_MEAN, MNIST_STD, mnistTransform, normalize, pad, toTensor } from '../src/index.js';

const img = (data: number[], channels: number, height: number, width: number): Image => ({
  data: Uint8Array.from(data),
  channels,
  height,
  width,
});

describe('transforms', () => {
  it('pad adds a border of fill on every side, per channel, without touching the input', () => {
    const input = img([1, 2, 3, 4, 5, 6, 7, 8], 2, 2, 2);
    const out = pad(1)(input);
    expect([out.channels, out.height, out.width]).toEqual([2, 4, 4]);
    expect(out.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(out.data)).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 0, 0, 7, 8, 0, 0, 0, 0, 0]);
    expect(Array.from(input.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const filled = pad(1, 9)(img([1], 1, 1, 1));
    expect(Array.from(filled.data)).toEqual([9, 9, 9, 9, 1, 9, 9, 9, 9]);
    expect(pad(2)(img(new Array(784).fill(0), 1, 28, 28)).height).toBe(32);
  });

  it('toTensor scales bytes to [0, 1] float32', () => {
    const out = toTensor()(img([0, 51, 255], 1, 1, 3));
    expect(out.data).toBeInstanceOf(Float32Array);
    expect(Array.from(out.data)).toEqual([0, Math.fround(0.2), 1]);
  });

  it('normalize subtracts the mean and divides by std, per channel', () => {
    const out = normalize([1, 2], [2, 4])({ data: Float32Array.of(3, 5, 10, 2), channels: 2, height: 1, width: 2 });
    expect(Array.from(out.data)).toEqual([1, 2, 2, 0]);
    // MegEngine style on raw bytes equals toTensor + normalize on [0, 1].
    const raw = img([0, 128, 255], 1, 1, 3);
    const a = normalize(MNIST_MEAN * 255, MNIST_STD * 255)(raw).data;
    const b = compose([toTensor(), normalize(MNIST_MEAN, MNIST_STD)])(raw).data;
    for (let i = 0; i < 3; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    expect(b[0]).toBeCloseTo(-0.1307 / 0.3081, 6);
    expect(b[2]).toBeCloseTo((1 - 0.1307) / 0.3081, 6);
  });

  it('mnistTransform gives a 1×32×32 float image with a normalised zero border', () => {
    const data = new Array(784).fill(0);
    data[0] = 255;
    const out = mnistTransform()(img(data, 1, 28, 28));
    expect([out.channels, out.height, out.width]).toEqual([1, 32, 32]);
    expect(out.data[0]).toBeCloseTo(-0.1307 / 0.3081, 6);
    expect(out.data[2 * 32 + 2]).toBeCloseTo((1 - 0.1307) / 0.3081, 6);
  });

  it('validates arguments with the transform name and the value', () => {
    expect(() => pad(-1)).toThrow('pad: padding must be a non-negative integer, got -1');
    expect(() => pad(1, 300)(img([1], 1, 1, 1))).toThrow('pad: fill for a uint8 image must be an integer in [0, 255], got 300');
    expect(() => normalize(0, 0)).toThrow('normalize: std must be positive, got 0');
    expect(() => normalize([0, 0, 0], 1)(img([1, 2], 2, 1, 1))).toThrow(
      'normalize: mean must have 1 or 2 values for a 2-channel image, got 3',
    );
    expect(() => compose([pad(1), 3 as unknown as () => Image])).toThrow('compose: transforms[1] must be a function, got 3');
    expect(() => toTensor()(img([1, 2], 1, 1, 3))).toThrow('toTensor: image of 1×1×3 needs 3 values, got 2');
  });
});
