// Depthwise convolutions with conv2d's extended epilogue on every ISA path (one thread each, the
// default path at two): relu6 and hardswish are applied by the taps kernel before its store
// (native/depthwise_simd.h), a residual after each plane; both against js conv2d followed by
// the elementwise kernels. Planes narrower than 64 (run flattened) and wider ones, strides 1 and 2.
import type { Conv2dParams } from '@mge/core';
import { describe, it } from 'vitest';
import { setGemmIsa, setNumThreads } from '../src/index.js';
import { cpu, type EpilogueAct, epilogueReference, expectClose, ISA_RUNS, randomPair, restoreIsaAfterAll } from './helpers.js';

function depthwise(n: number, c: number, h: number, w: number, s: number): Conv2dParams {
  const oh = Math.floor((h + 2 - 3) / s) + 1;
  const ow = Math.floor((w + 2 - 3) / s) + 1;
  return { n, c, h, w, o: c, kh: 3, kw: 3, oh, ow, sh: s, sw: s, ph: 1, pw: 1, dh: 1, dw: 1, groups: c };
}

const CASES: [string, Conv2dParams][] = [
  ['7×7, stride 1 (flattened)', depthwise(2, 5, 7, 7, 1)],
  ['13×11, stride 2 (flattened)', depthwise(1, 3, 13, 11, 2)],
  ['4×70, stride 1 (row by row)', depthwise(1, 3, 4, 70, 1)],
  ['5×131, stride 2 (row by row)', depthwise(1, 2, 5, 131, 2)],
  // AVX-512's small-plane kernel (one vector per output row): full-width rows, a 32-wide input
  // row at stride 2, and a single pixel
  ['16×16, stride 1 (small planes)', depthwise(1, 3, 16, 16, 1)],
  ['9×32, stride 2 (small planes, two input vectors)', depthwise(2, 2, 9, 32, 2)],
  ['1×1, stride 2 (small planes)', depthwise(1, 2, 1, 1, 2)],
  ['2×1, stride 1 (small planes)', depthwise(1, 2, 2, 1, 1)],
];

describe('cpu depthwise conv2dEpilogue on every ISA path', () => {
  restoreIsaAfterAll();
  let seed = 1300;
  for (const [isa, threads] of ISA_RUNS) {
    it.each(CASES)(`${isa}, ${threads} thread(s): %s, every activation with and without bias and residual`, (_name, p) => {
      setGemmIsa(isa);
      setNumThreads(threads);
      const x = randomPair('float32', [p.n, p.c, p.h, p.w], 'normal', seed++);
      const w = randomPair('float32', [p.o, 1, 3, 3], 'normal', seed++);
      const b = randomPair('float32', [p.o], 'normal', seed++);
      const r = randomPair('float32', [p.n, p.o, p.oh, p.ow], 'normal', seed++);
      const size = p.n * p.o * p.oh * p.ow;
      for (const activation of ['relu', 'relu6', 'hardswish', undefined] as EpilogueAct[]) {
        for (const [withBias, withRes] of [
          [true, false],
          [false, false],
          [true, true],
          [false, true],
        ]) {
          const bias = withBias ? b : undefined;
          const res = withRes ? r : undefined;
          const got = cpu.conv2dEpilogue(x.c, w.c, p, { bias: bias?.c, residual: res?.c, activation });
          const want = epilogueReference(x.j, w.j, p, bias?.j, res?.j, activation);
          expectClose(cpu.readSync(got, 'float32', size), want, 1e-4, 1e-4, `${activation} bias ${withBias} residual ${withRes}`);
        }
      }
    });
  }
});
