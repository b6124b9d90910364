import { JsBackend } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { createWebGpuBackend } from '../../src/backend.js';
import { differentialCases, formatMismatches, runDiff } from '../differential.js';

// In the page: navigator.gpu (SwiftShader in headless chromium). No adapter is a failure here.
const gpu = await createWebGpuBackend();
const ref = new JsBackend();

describe('webgpu in the browser', () => {
  it('uses navigator.gpu and flags a software adapter as not auto-selectable', () => {
    expect(typeof navigator.gpu).toBe('object');
    expect(gpu.description.length).toBeGreaterThan(0);
    if (gpu.adapter.architecture === 'swiftshader' || gpu.adapter.isFallback) expect(gpu.autoSelectable).toBe(false);
  });

  it("f16 storage: on with 'shader-f16', otherwise a clear error", async () => {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter?.features.has('shader-f16')) {
      const half = await createWebGpuBackend({ f16: true });
      const buf = half.upload(new Float32Array([1, 1 / 3, 70000]));
      expect(Array.from((await half.read(buf, 'float32', 3)) as Float32Array)).toEqual([1, 0.333251953125, Infinity]);
      half.release(buf);
    } else {
      // SwiftShader in Chromium 156 has no shader-f16.
      await expect(createWebGpuBackend({ f16: true })).rejects.toThrow(/has no 'shader-f16' feature/);
    }
  });

  // Small shapes: SwiftShader runs every shader on the CPU.
  const cases = differentialCases(true);
  cases.forEach((c) => {
    it(c.name, async () => {
      const { bad, got } = await runDiff(c, gpu, ref, 5000);
      expect(got.length).toBe(c.outSize);
      expect(formatMismatches(bad), c.name).toBe('');
    });
  });
});
