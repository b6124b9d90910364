// The direct grouped convolutions (native/grouped.cc: conv2d with 1 < groups < c at stride 1)
// against the js backend: register blocks of 8, 4, 2 and 1 output channels and their mixes,
// 1×1 (read in place), 3×3 and 5×5 with padding and dilation, non-square images, rows short
// enough to run flattened and long enough to run row by row, batch 1 and an empty batch, every
// epilogue. Strided grouped convolutions keep the im2col GEMMs; one case checks that path too.
// The filter gradient runs as dot products over the same layouts.
import type { Conv2dParams } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { setGemmIsa, setNumThreads } from '../src/index.js';
import { defaultIsa, expectConvMatchesJs, ISA_RUNS } from './helpers.js';

function grouped(
  n: number,
  c: number,
  o: number,
  groups: number,
  h: number,
  w: number,
  k: [number, number],
  p: [number, number],
  d: [number, number] = [1, 1],
  s: [number, number] = [1, 1],
): Conv2dParams {
  const oh = Math.floor((h + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((w + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1]) + 1;
  return { n, c, h, w, o, kh: k[0], kw: k[1], oh, ow, sh: s[0], sw: s[1], ph: p[0], pw: p[1], dh: d[0], dw: d[1], groups };
}

const CASES: Conv2dParams[] = [
  // ResNeXt-like 3×3: 4 channels in and out per group
  grouped(2, 16, 16, 4, 9, 9, [3, 3], [1, 1]),
  // ShuffleNet v1-like 1×1: wide groups (8 + 4 + 2 + 1 output channels per group), read in place
  grouped(2, 30, 45, 3, 7, 6, [1, 1], [0, 0]),
  // wide groups (20 in, 20 out): the direct kernel on AVX-512, the GEMMs on AVX2
  grouped(2, 40, 40, 2, 6, 9, [1, 1], [0, 0]),
  // 1×1 on rows of 40 (row by row, no padding)
  grouped(1, 12, 24, 2, 5, 40, [1, 1], [0, 0]),
  // 3×3 without padding on long rows: row by row straight from the input
  grouped(1, 6, 10, 2, 6, 37, [3, 3], [0, 0]),
  // 5×5, padding 2, dilation 2, non-square; rows of 45 (row by row, several vectors and a tail)
  grouped(1, 8, 12, 4, 13, 45, [5, 5], [2, 2], [2, 2]),
  // non-square kernel, uneven padding, one output channel per group
  grouped(2, 6, 3, 3, 8, 11, [3, 1], [1, 0]),
  // batch 1, a single output row, groups of 2 input and 7 output channels
  grouped(1, 4, 14, 2, 1, 19, [1, 3], [0, 1]),
  // padding beyond the kernel's reach (the input gradient then takes the GEMMs)
  grouped(1, 4, 4, 2, 5, 5, [3, 3], [2, 2]),
  // strided: the im2col GEMMs
  grouped(2, 8, 8, 2, 9, 9, [3, 3], [1, 1], [1, 1], [2, 2]),
  // an empty batch
  grouped(0, 8, 8, 4, 5, 5, [3, 3], [1, 1]),
];

describe('grouped conv2d and its gradients match the js backend', () => {
  for (const [isa, threads] of ISA_RUNS) {
    it(`forward (with each epilogue), backward input, backward filter (${isa}, ${threads} thread(s))`, () => {
      expect(setGemmIsa(isa)).toBe(true);
      setNumThreads(threads);
      let seed = 500;
      for (const p of CASES) seed = expectConvMatchesJs(p, seed);
      setGemmIsa(defaultIsa);
    });
  }
});
