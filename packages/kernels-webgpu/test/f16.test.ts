import { JsBackend } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { createWebGpuBackend, type WebGpuBackend } from '../src/backend.js';
import { getGpu } from '../src/gpu-provider.js';
import { fromHalf, toHalf } from '../src/half.js';
import { differentialCases, formatMismatches, runDiff, type Tol } from './differential.js';
import { gpuForTests } from './setup.js';

/**
 * The f16 storage mode (createWebGpuBackend({ f16: true })) where the adapter has
 * 'shader-f16' (lavapipe does), and the clear error where it has not.
 */
const { backend: plain } = await gpuForTests();
const adapter = plain ? await (await getGpu()).requestAdapter({ powerPreference: 'high-performance' }) : null;
const hasF16 = adapter?.features.has('shader-f16') === true;
const gpu: WebGpuBackend | undefined = plain && hasF16 ? await createWebGpuBackend({ f16: true }) : undefined;
const ref = new JsBackend();

/**
 * Inputs rounded to half on both sides, and the reference's result rounded as a half store
 * would: what is left is the kernels' own rounding and f32 summation order.
 */
const roundToHalf = (d: ArrayLike<number>) => (d instanceof Float32Array ? fromHalf(toHalf(d), d.length) : d);

/**
 * Each stored float32 result is rounded to half: a relative 2^-11 ≈ 4.9e-4 per store, so
 * rtol 2e-3 covers one rounding plus f32 accumulation order; split-K also rounds its partial
 * sums, hence the wider absolute term (cases' float32 atol grow with √K already).
 */
const f16Tol = (t: Tol): Tol => (t.rtol === 0 && t.atol === 0 ? t : { rtol: Math.max(t.rtol, 2e-3), atol: Math.max(20 * t.atol, 1e-3) });

describe.skipIf(!plain)('f16 storage option', () => {
  it("turns on with 'shader-f16', and refuses with an error naming the feature otherwise", async () => {
    if (hasF16) expect(gpu!.f16).toBe(true);
    else await expect(createWebGpuBackend({ f16: true })).rejects.toThrow(/f16 storage was requested .* has no 'shader-f16' feature/);
    expect(plain!.f16).toBe(false);
  });
});

describe.skipIf(!gpu)('f16 storage (shader-f16)', () => {
  it('stores float32 as 2 bytes per element, other dtypes as 4, and reads back exact halves', async () => {
    expect(gpu!.f16).toBe(true);
    expect(gpu!.description).toContain('[f16 storage]');
    const before = gpu!.memory().liveBytes;
    const f = gpu!.upload(new Float32Array([1, -2.5, 1 / 3, 65504, 1e-8, 70000, 0.1]));
    const i = gpu!.upload(new Int32Array([1, 2, 3]));
    expect(gpu!.memory().liveBytes - before).toBe(7 * 2 + 3 * 4);
    // 1/3 → 0.333251953125 (nearest half), 1e-8 → 0 (below half of 2^-24), 70000 → ∞, 0.1 → 0.0999755859375
    expect(Array.from((await gpu!.read(f, 'float32', 7)) as Float32Array)).toEqual([
      1,
      -2.5,
      0.333251953125,
      65504,
      0,
      Infinity,
      0.0999755859375,
    ]);
    expect(Array.from((await gpu!.read(i, 'int32', 3)) as Int32Array)).toEqual([1, 2, 3]);
    gpu!.release(f);
    gpu!.release(i);
  });

  it('computes in f32 between f16 loads and stores', async () => {
    // 300·300 = 90000 is beyond half's 65504, but the GEMM accumulates in f32 and only
    // stores 90000 − 89700 = 300; an elementwise product stores 90000 itself, as ∞.
    const a = { buf: gpu!.upload(new Float32Array([300, 300])), shape: [1, 1, 2], dtype: 'float32' as const };
    const b = { buf: gpu!.upload(new Float32Array([300, -299])), shape: [1, 2, 1], dtype: 'float32' as const };
    const dot = gpu!.matmul(a, b, { batch: 1, m: 1, n: 1, k: 2, transA: false, transB: false, batchA: 1, batchB: 1 });
    const prod = gpu!.binary('mul', { ...a, shape: [2] }, { ...b, shape: [2] }, [2]);
    expect(Array.from((await gpu!.read(dot, 'float32', 1)) as Float32Array)).toEqual([300]);
    expect(Array.from((await gpu!.read(prod, 'float32', 2)) as Float32Array)).toEqual([Infinity, -Infinity]);
    for (const x of [a.buf, b.buf, dot, prod]) gpu!.release(x);
  });

  // Every primitive again, at the small shapes, plus the NaN/Inf cases (f16 stores them its own
  // way): the large shapes exercise tiling, which f16 storage does not change and the f32 run
  // (differential.test.ts) already covers; on a software adapter they are most of the time.
  const cases = [...differentialCases(true), ...differentialCases().filter((c) => /special|NaN/.test(c.name))];
  cases.forEach((c) => {
    it(`f16: ${c.name}`, async () => {
      const { bad, got } = await runDiff(c, gpu!, ref, 1000, { prepare: roundToHalf as never, tol: f16Tol(c.tol) });
      expect(got.length).toBe(c.outSize);
      expect(formatMismatches(bad), c.name).toBe('');
    });
  });
});
