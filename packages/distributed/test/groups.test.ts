/** Process groups on 3 ranks (test/ranks/groups.ts). */
import { describe, expect, it } from 'vitest';
import { mpirun } from './mpirun.js';

describe('groups on 3 ranks', () => {
  it('collectives stay inside the group, in group order; non-members and outside roots are named', () => {
    const r = mpirun('groups.ts', [], 3);
    expect(r.stderr).not.toMatch(/uncaught/);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').sort();
    expect(lines).toEqual(
      [
        'rank 0 even.rank=0 size=2',
        'rank 0 even.sum=4,40',
        'rank 0 even.gather=0,2',
        'rank 0 even.bcast2=3,30',
        'rank 0 world.sum=6,60',
        'rank 1 nonmember: allReduceSum: rank 1 is not a member of the group [0, 2] (or the group was freed)',
        'rank 1 tail.rank=1',
        'rank 1 tail.scatter=300,300',
        "rank 1 badroot: broadcast: argument 'root' must be a rank of the group [2, 1], got 0",
        'rank 1 world.sum=6,60',
        'rank 2 even.rank=1 size=2',
        'rank 2 even.sum=4,40',
        'rank 2 even.gather=0,2',
        'rank 2 even.bcast2=3,30',
        'rank 2 tail.rank=0',
        'rank 2 tail.scatter=3,3',
        "rank 2 badroot: broadcast: argument 'root' must be a rank of the group [2, 1], got 0",
        'rank 2 world.sum=6,60',
      ].sort(),
    );
  });
});
