/// <reference lib="webworker" />
import { JsBackend } from '@mge/core';
import { createWebGpuBackend } from '../../src/backend.js';
import { differentialCases, formatMismatches, runDiff } from '../differential.js';

// Runs the matmul, conv and pooling differential cases inside a dedicated Worker and reports back.
self.onmessage = async () => {
  try {
    const gpu = await createWebGpuBackend();
    const ref = new JsBackend();
    const cases = differentialCases(true).filter((c) => /^(matmul|conv2d|pool2d|reduce sum|binary add)/.test(c.name));
    const results: { name: string; mismatches: string }[] = [];
    for (const c of cases) {
      const { bad } = await runDiff(c, gpu, ref, 9000);
      results.push({ name: c.name, mismatches: formatMismatches(bad) });
    }
    self.postMessage({ adapter: gpu.adapter, results });
  } catch (e) {
    self.postMessage({ error: String(e) });
  }
};
