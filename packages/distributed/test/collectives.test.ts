/** The collectives on 2 MPI ranks against a plain JS reference (test/ranks/collectives.ts). */
import { describe, expect, it } from 'vitest';
import { mpirun } from './mpirun.js';

describe('collectives on 2 ranks', () => {
  it('allReduceSum/Mean/Max/Min, broadcast, allGather, reduceScatterSum match the reference for n = 1 … 10⁶, float32 and int32', () => {
    const r = mpirun('collectives.ts');
    expect(r.stderr).not.toMatch(/uncaught/);
    expect(r.status).toBe(0);
    // 5 sizes × 2 dtypes × 7 checks on cpu + 2 sizes × 2 dtypes × 7 on js + 5 gradients
    expect(r.stdout).toContain('rank 0/2: 103 collective checks passed');
    expect(r.stdout).toContain('rank 1/2: 103 collective checks passed');
  });
});
