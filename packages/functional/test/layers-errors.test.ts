// Bad arguments to the layer catalogue's functions: each error names the function, the
// argument, what was expected and what was given.
import { ones, random, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
import * as F from '../src/index.js';

const x4 = () => random.normal(0, 1, [2, 4, 6, 6]);

describe('layer catalogue argument errors', () => {
  it('convolutions', () => {
    expect(() => F.conv1d(x4(), ones([3, 4, 3]))).toThrow(/conv1d: argument 'inp' must be 3-d, got shape \(2, 4, 6, 6\)/);
    expect(() => F.conv1d(ones([1, 4, 5]), ones([3, 4, 3]), null, { stride: 0 })).toThrow(
      /conv1d: argument 'stride' must be an integer ≥ 1, got 0/,
    );
    expect(() => F.conv1d(ones([1, 4, 5]), ones([2, 3, 2, 3]), null, { groups: 3 })).toThrow(
      /conv1d: a 4-d weight \(2, 3, 2, 3\) holds 2 groups but 'groups' is 3/,
    );
    expect(() => F.conv3d(ones([1, 2, 3, 3, 3]), ones([4, 3, 1, 1, 1]))).toThrow(
      /conv3d: weight \(4, 3, 1, 1, 1\) expects 3 input channels but inp \(1, 2, 3, 3, 3\) has 2/,
    );
    expect(() => F.conv3d(ones([1, 2, 3, 3, 3]), ones([4, 2, 1, 1, 1]), null, { padding: [1, 1] })).toThrow(
      /conv3d: argument 'padding' must be an integer ≥ 0 or 3 of them, got \[1,1\]/,
    );
    expect(() => F.convTranspose2d(x4(), ones([3, 2, 3, 3]))).toThrow(
      /convTranspose2d: weight \(3, 2, 3, 3\) expects 3 input channels but inp \(2, 4, 6, 6\) has 4/,
    );
    expect(() => F.convTranspose2d(x4(), ones([4, 2, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrow(
      /convTranspose2d: argument 'outputPadding' must be smaller than the stride \(2, 2\), got \(2, 2\)/,
    );
    expect(() => F.convTranspose2d(x4(), ones([4, 2, 3, 3]), ones([3]))).toThrow(
      /convTranspose2d: argument 'bias' must have shape \(1, 2, 1, 1\), got \(3,\)/,
    );
    expect(() => F.localConv2d(x4(), ones([1, 4, 4, 4, 3, 3, 2]), null, { stride: 2 })).toThrow(
      /localConv2d: weight .* is made for a 4×4 output but inp \(2, 4, 6, 6\) gives 2×2/,
    );
    expect(() => F.slidingWindow(ones([2, 3, 4]), 2)).toThrow(/slidingWindow: argument 'inp' must be 4-d, got shape \(2, 3, 4\)/);
    expect(() => F.slidingWindow(x4(), [2, 0])).toThrow(
      /slidingWindow: argument 'kernelSize' must be an integer ≥ 1 or a pair of them, got \[2,0\]/,
    );
  });

  it('normalisations', () => {
    expect(() => F.layerNorm(x4(), [5])).toThrow(
      /layerNorm: argument 'normalizedShape' must match the trailing axes of inp \(2, 4, 6, 6\), got \[5\]/,
    );
    expect(() => F.layerNorm(x4(), 6, { weight: ones([5]), bias: ones([6]) })).toThrow(
      /layerNorm: argument 'weight' must have 6 elements \(shape \(6,\)\), got \(5,\)/,
    );
    expect(() => F.layerNorm(x4(), 6, { affine: true })).toThrow(/layerNorm: argument 'weight' must be a Tensor, got undefined/);
    expect(() => F.layerNorm(x4(), 6, { affine: false, eps: 0 })).toThrow(/layerNorm: argument 'eps' must be a positive number, got 0/);
    expect(() => F.groupNorm(x4(), 3, { affine: false })).toThrow(
      /groupNorm: argument 'numGroups' \(3\) must divide the channels \(4\) of inp \(2, 4, 6, 6\)/,
    );
    expect(() => F.instanceNorm(ones([4, 3]))).toThrow(/instanceNorm: argument 'inp' must be 3- or 4- or 5-d, got shape \(4, 3\)/);
    expect(() => F.localResponseNorm(x4(), { kernelSize: 4 })).toThrow(/localResponseNorm: argument 'kernelSize' must be odd, got 4/);
    expect(() => F.normalize(x4(), { ord: -1 })).toThrow(/normalize: argument 'ord' must be a positive number or Infinity, got -1/);
  });

  it('pooling and resizing', () => {
    expect(() => F.adaptiveMaxPool2d(x4(), [7, 2])).toThrow(/adaptiveMaxPool2d: argument 'oshp' must not exceed the input's 6×6, got 7×2/);
    expect(() => F.adaptiveAvgPool2d(x4(), 0)).toThrow(
      /adaptiveAvgPool2d: argument 'oshp' must be an integer ≥ 1 or a pair of them, got 0/,
    );
    expect(() => F.vision.interpolate(x4(), { size: 3, scaleFactor: 2 })).toThrow(
      /interpolate: exactly one of 'size' and 'scaleFactor' must be given, got both/,
    );
    expect(() => F.vision.interpolate(x4(), { size: [3, 3], mode: 'area' as 'bilinear' })).toThrow(
      /interpolate: argument 'mode' must be 'nearest', 'linear', 'bilinear' or 'bicubic', got "area"/,
    );
    expect(() => F.vision.interpolate(ones([2, 3, 5]), { size: 3, mode: 'bicubic' })).toThrow(/interpolate: argument 'inp' must be 4-d/);
    expect(() => F.vision.interpolate(x4(), { size: [3], mode: 'bilinear' })).toThrow(
      /interpolate: argument 'size' must have 2 entries for inp \(2, 4, 6, 6\), got \[3\]/,
    );
    expect(() => F.vision.interpolate(x4(), { scaleFactor: 0.1 })).toThrow(
      /interpolate: argument 'scaleFactor' 0.1 gives an empty output for inp \(2, 4, 6, 6\)/,
    );
    expect(() => F.vision.interpolate(x4(), { size: 3, mode: 'nearest', alignCorners: true })).toThrow(
      /interpolate: argument 'alignCorners' only applies to the linear and cubic modes/,
    );
    expect(() => F.pixelShuffle(ones([1, 6, 2, 2]), 2)).toThrow(
      /pixelShuffle: the channel axis \(6\) of inp \(1, 6, 2, 2\) must be divisible by upscaleFactor² \(4\)/,
    );
    expect(() =>
      F.pad(
        x4(),
        [
          [0, 0],
          [0, 0],
          [6, 0],
        ],
        'reflect',
      ),
    ).toThrow(/pad: 'reflect' padding of axis 2 must be smaller than its size 6, got \[6, 0\]/);
    expect(() =>
      F.pad(
        x4(),
        [
          [0, 0],
          [-1, 0],
        ],
        'replicate',
      ),
    ).toThrow(/pad: padWidth\[1\] must be two non-negative integers, got \[-1,0\]/);
    expect(() => F.pad(x4(), [[1, 1]], 'wrap' as 'reflect')).toThrow(
      /pad: argument 'mode' must be 'constant', 'reflect', 'replicate' or 'edge', got "wrap"/,
    );
  });

  it('edge padding is replicate, and a scale factor gives ⌊in·scale⌋', async () => {
    const t = tensor([1, 2, 3], { shape: [1, 3] });
    expect([
      ...(await F.pad(
        t,
        [
          [0, 0],
          [2, 1],
        ],
        'edge',
      ).data()),
    ]).toEqual([1, 1, 1, 2, 3, 3]);
    expect(F.vision.interpolate(x4(), { scaleFactor: 1.5, mode: 'nearest' }).shape).toEqual([2, 4, 9, 9]);
  });
});
