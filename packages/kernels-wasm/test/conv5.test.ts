// The wasm forms of the 5×5 direct convolution (kernels-cpu/native/conv_direct_wasm.cc) against the
// js backend: over rows (chunks of 16 columns, a last chunk of 1–3 vectors, a masked tail, filter
// counts that leave a partial block) and over filters (blocks of 16 filters, a partial last block,
// odd row lengths), with the fused bias and relu. The conformance suite's convolutions are too
// small to reach every block.
import { type Conv2dParams, JsBackend } from '@mge/core';
import { rng } from '@mge/core/testing';
import { describe, expect, it } from 'vitest';
import { loadKernels, WasmBackend } from '../src/index.js';

const wasm = new WasmBackend(await loadKernels());
const js = new JsBackend();

function values(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

describe('5×5 direct convolution on wasm', () => {
  // [n, c, h, w, o]: output is (h − 4) × (w − 4)
  for (const [n, c, h, w, o] of [
    [2, 1, 32, 32, 6], // LeNet's conv1: 28 columns = 16 + 12
    [3, 2, 9, 24, 5], // 20 columns = 16 + 4, 5 filters = 2 + 2 + 1
    [1, 3, 7, 14, 7], // 10 columns = 8 + a masked 2, 7 filters
    [2, 1, 6, 11, 3], // 7 columns = 4 + a masked 3
    [2, 6, 14, 14, 16], // LeNet's conv2: by filters, 10 columns
    [1, 4, 9, 9, 20], // by filters: 16 + 4 filters, 5 columns (an odd run)
    [2, 3, 8, 7, 10], // by filters: 10 filters in 3 vectors, 3 columns
  ] as const) {
    it(`matches js on [${n},${c},${h},${w}] with ${o} filters, bias and relu`, () => {
      const oh = h - 4;
      const ow = w - 4;
      const p: Conv2dParams = { n, c, h, w, o, kh: 5, kw: 5, oh, ow, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, groups: 1 };
      const x = values(n * c * h * w, h * 31 + w);
      const wt = values(o * c * 25, o * 7 + c);
      const b = values(o, o);
      const ref = <B>(be: { upload(d: Float32Array): B }, d: Float32Array, shape: number[]) => ({
        buf: be.upload(d),
        shape,
        dtype: 'float32' as const,
      });
      const size = n * o * oh * ow;
      const got = wasm.readSync(
        wasm.conv2d(ref(wasm, x, [n, c, h, w]), ref(wasm, wt, [o, c, 5, 5]), p, { bias: ref(wasm, b, [o]), activation: 'relu' }),
        'float32',
        size,
      );
      const want = js.conv2d(ref(js, x, [n, c, h, w]), ref(js, wt, [o, c, 5, 5]), p, {
        bias: ref(js, b, [o]),
        activation: 'relu',
      }) as Float32Array;
      let err = 0;
      let scale = 0;
      let positive = 0;
      for (let i = 0; i < size; i++) {
        err = Math.max(err, Math.abs(got[i] - want[i]));
        scale = Math.max(scale, Math.abs(want[i]));
        if (want[i] > 0) positive++;
      }
      expect(positive).toBeGreaterThan(size / 4);
      expect(err).toBeLessThanOrEqual(1e-6 * scale);
    });
  }
});
