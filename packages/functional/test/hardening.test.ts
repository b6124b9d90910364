// Inputs that could give a silent wrong answer: labels on a device that cannot be read
// synchronously, an empty batch in batchNorm training, integer arguments past 32 bits.
import { conv2dPrimitive, JsBackend, pad, ready, registerBackend, type Tensor, tensor, zeros } from '@mge/core';
import { beforeAll, describe, expect, it } from 'vitest';
import * as F from '../src/index.js';

/** A js backend that, like webgpu, has no synchronous read. */
class NoSyncRead extends JsBackend {
  constructor() {
    super();
    const readSync = JsBackend.prototype.readSync.bind(this);
    Object.defineProperty(this, 'readSync', { value: undefined });
    this.read = async (buf, dtype, size) => readSync(buf, dtype, size);
  }
}

const device = 'nosync';
beforeAll(async () => {
  registerBackend(device, () => new NoSyncRead(), 1);
  await ready();
});
const vals = async (t: Tensor) => Array.from(await t.data());

describe('labels on a device without synchronous reads', () => {
  const pred = () => tensor([[0.5, 1, -1]], { device });
  it('labels made from host data are checked on the host, with no device read', () => {
    expect(() => F.crossEntropy(pred(), tensor([5], { dtype: 'int32', device }))).toThrow(
      /crossEntropy: argument 'label' must be in \[0, 2\], got 5/,
    );
    expect(() => F.crossEntropy(pred(), tensor([-1], { dtype: 'int32', device }))).toThrow(RangeError);
    expect(() => F.crossEntropy(pred(), tensor([1.5], { device }))).toThrow(/must hold integers, got 1.5/);
    expect(() => F.crossEntropy(pred(), tensor([Number.NaN], { device }))).toThrow(/must hold integers, got NaN/);
    expect(() => F.oneHot(tensor([5, -1], { dtype: 'int32', device }), 3)).toThrow(/oneHot: argument 'label' must be in \[0, 2\], got 5/);
  });
  it('valid host labels give the same loss as on js', async () => {
    const want = F.crossEntropy(tensor([[0.5, 1, -1]]), tensor([1], { dtype: 'int32' })).item();
    const got = await F.crossEntropy(pred(), tensor([1], { dtype: 'int32', device })).itemAsync();
    expect(got).toBeCloseTo(want, 6);
  });
  it('labels computed on the device cannot be checked without a sync: a bad one makes the loss NaN, not 0', async () => {
    const computed = (v: number[]) => tensor(v, { dtype: 'int32', device }).add(0);
    expect(computed([5]).hostValues).toBeNull();
    expect(await F.crossEntropy(pred(), computed([5])).itemAsync()).toBeNaN();
    expect(await vals(F.oneHot(computed([1, 5]), 3))).toEqual([0, 1, 0, Number.NaN, Number.NaN, Number.NaN]);
    expect(await F.crossEntropy(pred(), computed([1])).itemAsync()).toBeCloseTo(0.554957, 5);
    const floats = tensor([1.5, 2], { device }).add(0);
    expect((await vals(F.oneHot(floats, 3))).slice(0, 3).every(Number.isNaN)).toBe(true);
  });
  it('a host copy does not outlive an in-place change', () => {
    const label = tensor([1], { dtype: 'int32', device });
    label.setValue(tensor([7], { dtype: 'int32', device }));
    expect(Array.from(label.hostValues ?? [])).toEqual([7]);
    expect(() => F.crossEntropy(pred(), label)).toThrow(/got 7/);
  });
});

describe('batchNorm training on an empty batch', () => {
  it('raises and leaves the running statistics untouched', () => {
    const rm = tensor([1, 2]);
    const rv = tensor([3, 4]);
    expect(() => F.batchNorm(zeros([0, 2, 3, 3]), rm, rv, null, null, { training: true })).toThrow(
      /batchNorm: training needs at least one value per channel .* shape \(0, 2, 3, 3\); the running statistics are left unchanged/,
    );
    expect(Array.from(rm.dataSync())).toEqual([1, 2]);
    expect(Array.from(rv.dataSync())).toEqual([3, 4]);
    // inference on an empty batch is fine (an empty result)
    expect(F.batchNorm(zeros([0, 2, 3, 3]), rm, rv).shape).toEqual([0, 2, 3, 3]);
  });
});

describe('integer arguments past 32 bits are refused in core, before any backend', () => {
  it('conv2d stride/padding, pad, oneHot numClasses', () => {
    const x = tensor(new Float32Array(9).fill(9), { shape: [1, 1, 3, 3] });
    const w = tensor(new Float32Array(4).fill(1), { shape: [1, 1, 2, 2] });
    expect(() => conv2dPrimitive(x, w, { stride: 2 ** 33 + 1 })).toThrow(
      /conv2d: argument 'stride' must be an integer in \[1, 2147483647\], got 8589934593/,
    );
    expect(() => conv2dPrimitive(x, w, { padding: 2 ** 32 })).toThrow(RangeError);
    expect(() => conv2dPrimitive(x, w, { padding: 2 ** 30, stride: 2 ** 31 - 1 })).toThrow(/the padded input height is 2147483651/);
    expect(() => F.maxPool2d(x, 2 ** 31)).toThrow(RangeError);
    expect(() =>
      pad(x, [
        [0, 0],
        [0, 0],
        [2 ** 32, 0],
      ]),
    ).toThrow(/pad: argument 'pad_width\[2\]' must be an integer in \[0, 2147483647\], got 4294967296/);
    expect(() => F.oneHot(tensor([1], { dtype: 'int32' }), 2 ** 31)).toThrow(
      /oneHot: argument 'numClasses' must be an integer in \[1, 2147483647\]/,
    );
  });
});
