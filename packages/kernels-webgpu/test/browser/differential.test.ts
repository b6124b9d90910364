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

  // Small shapes: SwiftShader runs every shader on the CPU.
  const cases = differentialCases(true);
  cases.forEach((c, i) => {
    it(c.name, async () => {
      const { bad, got } = await runDiff(c, gpu, ref, 5000 + i);
      expect(got.length).toBe(c.outSize);
      expect(formatMismatches(bad), c.name).toBe('');
    });
  });
});
