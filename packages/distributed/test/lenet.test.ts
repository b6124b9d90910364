/**
 * Data-parallel LeNet: 20 SGD steps on 2 ranks (batch 4 each, gradients all-reduced by
 * makeAllreduceCb('mean'), parameters broadcast from rank 0, data from DistributedSampler) end
 * with the parameters of one process training on the concatenated batches of 8.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mpirun, nodeScript } from './mpirun.js';

const read = (f: string) => {
  const b = readFileSync(f);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const maxDiff = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('data-parallel LeNet', () => {
  it('2 ranks × batch 4 end where 1 process × batch 8 does (≤ 1e-6), and every rank agrees', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-dist-'));
    try {
      const ddp = mpirun('lenet.ts', ['ddp', dir]);
      expect(ddp.stderr).not.toMatch(/uncaught/);
      expect(ddp.status).toBe(0);
      const single = nodeScript('lenet.ts', ['single', dir, '2']);
      expect(single.stderr).toBe('');
      expect(single.status).toBe(0);
      const [r0, r1, one, init] = ['params-0.bin', 'params-1.bin', 'params-single.bin', 'params-init.bin'].map((f) => read(join(dir, f)));
      expect(r0.length).toBe(61706); // LeNet's parameter count
      expect(maxDiff(r0, r1)).toBe(0);
      expect(maxDiff(r0, one)).toBeLessThanOrEqual(1e-6);
      expect(maxDiff(one, init)).toBeGreaterThan(1e-3); // the 20 steps did move the weights
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
