// PyTorch goldens (torch 1.13, float64) for 3×3 stride-1 layers big enough to take the Winograd
// path in all three passes, on every x86 ISA path and at 1 and 2 threads. The fixture and the
// script that writes it: test/fixtures/make_conv_goldens.py.
import { readFileSync } from 'node:fs';
import type { Conv2dParams } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { setGemmIsa, setNumThreads } from '../src/index.js';
import { cpu, ISA_RUNS, pair, restoreIsaAfterAll } from './helpers.js';

interface Golden {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  pad: number;
  step: number;
  wStep: number;
  y: number[];
  ySum: number;
  dx: number[];
  dxSum: number;
  dw: number[];
  dwSum: number;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/conv-winograd-goldens.json', import.meta.url), 'utf8')) as {
  cases: Golden[];
};

/** sin(0.37·i + phase) rounded to float32, as the fixture script computes its inputs. */
function formula(n: number, phase: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(Math.sin(i * 0.37 + phase)) * Math.fround(scale);
  return out;
}

/**
 * Every step-th element of got against want (|Δ| ≤ 1e-4·(1 + |want|) + 1e-5·max|want|), and the sums.
 * Winograd's rounding error is bounded by the tensor's scale, not each element's: F(4×4, 3×3)'s
 * transforms scale values by up to 8 (64 in the filter gradient's dy tiles) before the channel sums,
 * so an element that cancels to near zero keeps an error of a few 1e-6 of the largest one.
 */
function expectSampled(got: Float32Array, want: number[], step: number, sum: number, what: string): void {
  expect(Math.ceil(got.length / step), `${what} samples`).toBe(want.length);
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let i = 0; i < want.length; i++) {
    const g = got[i * step];
    if (!(Math.abs(g - want[i]) <= 1e-4 * (1 + Math.abs(want[i])) + 1e-5 * scale)) expect(g, `${what} element ${i * step}`).toBe(want[i]);
  }
  let s = 0;
  let abs = 0;
  for (const v of got) {
    s += v;
    abs += Math.abs(v);
  }
  expect(Math.abs(s - sum), `${what} sum ${s} vs ${sum}`).toBeLessThanOrEqual(1e-5 * abs + 1e-4);
}

restoreIsaAfterAll();

describe('3×3 stride-1 convolutions (Winograd path) match PyTorch', () => {
  for (const [isa, threads] of ISA_RUNS) {
    it(`forward, input gradient, filter gradient (${isa}, ${threads} thread(s))`, () => {
      expect(setGemmIsa(isa)).toBe(true);
      setNumThreads(threads);
      for (const g of fixture.cases) {
        const oh = g.h + 2 * g.pad - 2;
        const ow = g.w + 2 * g.pad - 2;
        const p: Conv2dParams = {
          n: g.n,
          c: g.c,
          h: g.h,
          w: g.w,
          o: g.o,
          kh: 3,
          kw: 3,
          oh,
          ow,
          sh: 1,
          sw: 1,
          ph: g.pad,
          pw: g.pad,
          dh: 1,
          dw: 1,
          groups: 1,
        };
        const tag = `${JSON.stringify([g.n, g.c, g.h, g.w, g.o, g.pad])} ${isa} ${threads}t`;
        const x = pair('float32', [g.n, g.c, g.h, g.w], formula(g.n * g.c * g.h * g.w, 0.1));
        const w = pair('float32', [g.o, g.c, 3, 3], formula(g.o * g.c * 9, 0.2, 0.3));
        const dy = pair('float32', [g.n, g.o, oh, ow], formula(g.n * g.o * oh * ow, 0.3));
        const y = cpu.readSync(cpu.conv2d(x.c, w.c, p), 'float32', g.n * g.o * oh * ow) as Float32Array;
        expectSampled(y, g.y, g.step, g.ySum, `y ${tag}`);
        const dx = cpu.readSync(cpu.conv2dBackwardInput(dy.c, w.c, p), 'float32', g.n * g.c * g.h * g.w) as Float32Array;
        expectSampled(dx, g.dx, g.step, g.dxSum, `dx ${tag}`);
        const dw = cpu.readSync(cpu.conv2dBackwardFilter(x.c, dy.c, p), 'float32', g.o * g.c * 9) as Float32Array;
        expectSampled(dw, g.dw, g.wStep, g.dwSum, `dw ${tag}`);
      }
    });
  }
});
