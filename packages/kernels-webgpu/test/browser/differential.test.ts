import { JsBackend, ready, tensor } from '@mge/core';
import '../../src/index.js';
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

  it('cannot read synchronously: to() and item() name their async forms', async () => {
    expect(gpu.readSync).toBeUndefined();
    await ready(['webgpu']);
    const t = tensor([5], { device: 'webgpu' });
    expect(() => t.to('js')).toThrow(
      "to: device 'webgpu' cannot read synchronously, so a copy to 'js' must wait for the values; use 'await t.toAsync('js')' instead",
    );
    expect(() => t.item()).toThrow("item: device 'webgpu' cannot read synchronously; use 'await t.itemAsync()' instead");
    expect(await t.itemAsync()).toBe(5);
    expect((await t.toAsync('js')).dataSync()).toEqual(new Float32Array([5]));
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
