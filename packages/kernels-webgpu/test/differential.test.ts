import { JsBackend } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { differentialCases, formatMismatches, runDiff } from './differential.js';
import { gpuForTests } from './setup.js';

const { backend: gpu } = await gpuForTests();
const ref = new JsBackend();

describe.skipIf(!gpu)('webgpu vs js reference, every primitive', () => {
  const cases = differentialCases();
  cases.forEach((c) => {
    it(c.name, async () => {
      const { bad, got } = await runDiff(c, gpu!, ref, 1000);
      expect(got.length).toBe(c.outSize);
      expect(formatMismatches(bad), c.name).toBe('');
    });
  });
});
