// The direct depthwise kernels (native/depthwise.cc: conv2d with groups === c > 1) against
// the js backend: strides beyond the kernel, padding, dilation, channel multipliers,
// non-square kernels and images, batch 1 and an empty batch, with and without the epilogue.
import type { Conv2dParams } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { setGemmIsa, setNumThreads } from '../src/index.js';
import { defaultIsa, expectConvMatchesJs, ISA_RUNS } from './helpers.js';

function dw(
  n: number,
  c: number,
  h: number,
  w: number,
  mult: number,
  kh: number,
  kw: number,
  s: [number, number],
  p: [number, number],
  d: [number, number],
): Conv2dParams {
  const oh = Math.floor((h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((w + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  return { n, c, h, w, o: c * mult, kh, kw, oh, ow, sh: s[0], sw: s[1], ph: p[0], pw: p[1], dh: d[0], dw: d[1], groups: c };
}

const CASES: Conv2dParams[] = [
  dw(2, 8, 9, 9, 1, 3, 3, [1, 1], [1, 1], [1, 1]),
  dw(1, 6, 12, 7, 1, 3, 3, [2, 2], [1, 1], [1, 1]),
  dw(2, 3, 10, 11, 2, 5, 3, [1, 2], [2, 1], [1, 1]),
  dw(1, 4, 8, 8, 1, 2, 2, [3, 3], [0, 0], [1, 1]),
  dw(2, 5, 11, 9, 9, 3, 3, [1, 1], [2, 2], [2, 2]),
  dw(3, 2, 6, 6, 1, 1, 1, [1, 1], [0, 0], [1, 1]),
  dw(1, 16, 4, 4, 1, 3, 3, [1, 1], [1, 1], [1, 1]),
  dw(0, 4, 5, 5, 1, 3, 3, [1, 1], [1, 1], [1, 1]),
  // padding beyond the kernel's reach: the stride-1 input gradient takes the row-by-row path
  dw(2, 3, 5, 4, 2, 1, 3, [1, 1], [1, 2], [1, 1]),
  // rows long enough to run row by row: several 4-vector blocks, single vectors and a masked tail
  dw(1, 3, 20, 101, 1, 3, 3, [1, 1], [1, 1], [1, 1]),
  dw(2, 5, 33, 67, 1, 3, 3, [2, 2], [1, 1], [1, 1]),
  dw(1, 7, 29, 70, 2, 5, 5, [2, 1], [2, 2], [1, 1]),
  dw(1, 4, 26, 30, 1, 3, 3, [1, 1], [2, 2], [2, 2]),
  dw(1, 6, 31, 75, 1, 3, 3, [2, 3], [1, 0], [1, 2]),
  // MobileNet's small planes: 7² and 14² (flattened), stride 2 from 14² to 7²
  dw(1, 19, 7, 7, 1, 3, 3, [1, 1], [1, 1], [1, 1]),
  dw(1, 9, 14, 14, 1, 3, 3, [2, 2], [1, 1], [1, 1]),
];

describe('depthwise conv2d and its gradients match the js backend', () => {
  for (const [isa, threads] of ISA_RUNS) {
    it(`forward (with each epilogue), backward input, backward filter (${isa}, ${threads} thread(s))`, () => {
      expect(setGemmIsa(isa)).toBe(true);
      setNumThreads(threads);
      let seed = 100;
      for (const p of CASES) seed = expectConvMatchesJs(p, seed);
      setGemmIsa(defaultIsa);
    });
  }

  it('the addon rejects a depthwise call whose groups is not the channel count, without crashing', async () => {
    const { loadNative } = await import('../src/native.js');
    const native = loadNative();
    const p = new Int32Array([1, 4, 3, 3, 4, 3, 3, 1, 1, 1, 1, 0, 0, 1, 1, 2]);
    expect(() => native.depthwiseConv2d(new Float32Array(36), new Float32Array(72), new Float32Array(4), p)).toThrow(
      /depthwiseConv2d: groups must equal the input channels, got groups 2 and c 4/,
    );
    const bad = new Int32Array([1, 4, 3, 3, 4, 3, 3, 1, 1, 1, 1, 0, 0, 1, 1, 4]);
    expect(() => native.depthwiseConv2d(new Float32Array(35), new Float32Array(36), new Float32Array(4), bad)).toThrow(/depthwiseConv2d/);
  });
});
