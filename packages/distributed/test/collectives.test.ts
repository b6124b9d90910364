/** The collectives on 2 MPI ranks against a plain JS reference (test/ranks/collectives.ts). */
import { describe, expect, it } from 'vitest';
import { mpirun } from './mpirun.js';

describe('collectives on 2 ranks', () => {
  it('allReduceSum/Mean/Max/Min, broadcast, allGather, reduceScatterSum match the reference for n = 1 … 10⁷ and every dtype (float32, int32, bool)', {
    timeout: 240_000,
  }, () => {
    const r = mpirun('collectives.ts', [], 2, 240_000);
    expect(r.stderr).not.toMatch(/uncaught/);
    expect(r.status).toBe(0);
    // 5 sizes (1, 7, 1000, 65537, 10⁷) × 3 dtypes × 7 checks on cpu + 2 sizes × 3 dtypes × 7 on js + 5 gradients
    expect(r.stdout).toContain('rank 0/2: 152 collective checks passed');
    expect(r.stdout).toContain('rank 1/2: 152 collective checks passed');
  });
});
