// The 2×2 stride-2 max pool's wasm form (f32x4.pmax) against the js backend, bit for bit: the first
// maximum wins (so a tie of +0 and −0 keeps the first one's sign) and NaN beats everything. The
// conformance suite's shapes are too narrow (OW < 4) to reach the vector loop.
import { JsBackend, type Pool2dParams } from '@mge/core';
import { rng } from '@mge/core/testing';
import { describe, expect, it } from 'vitest';
import { loadKernels, WasmBackend } from '../src/index.js';

const wasm = new WasmBackend(await loadKernels());
const js = new JsBackend();
const SPECIAL = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1, -1, 2, 2, 0.5];

function values(n: number, seed: number, special: boolean): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (special ? SPECIAL[Math.floor(r() * SPECIAL.length)] : r() * 2 - 1));
}

describe('2×2 stride-2 max pooling on wasm', () => {
  for (const [h, w, special] of [
    [6, 8, true],
    [7, 11, true],
    [10, 10, true],
    [28, 28, false],
    [28, 28, true],
  ] as const) {
    it(`matches the js backend bit for bit on ${h}×${w}${special ? ' with NaN, ±Inf, ±0 and ties' : ''}`, () => {
      const p: Pool2dParams = { n: 2, c: 3, h, w, kh: 2, kw: 2, oh: h >> 1, ow: w >> 1, sh: 2, sw: 2, ph: 0, pw: 0 };
      const x = values(6 * h * w, h * 100 + w, special);
      const n = 6 * p.oh * p.ow;
      const got = wasm.readSync(wasm.pool2d('max', { buf: wasm.upload(x), shape: [2, 3, h, w], dtype: 'float32' }, p), 'float32', n);
      const want = js.pool2d('max', { buf: js.upload(x), shape: [2, 3, h, w], dtype: 'float32' }, p) as Float32Array;
      const bad: string[] = [];
      for (let i = 0; i < n; i++) if (!Object.is(got[i], want[i])) bad.push(`${i}: ${got[i]} vs ${want[i]}`);
      expect(bad).toEqual([]);
    });
  }
});
