// Run by ../groups.test.ts on 3 ranks: collectives inside groups [0, 2] and [2, 1], and the
// errors of a non-member and of a root outside the group.
import '@mge/kernels-cpu';
import { tensor } from '@mge/core';
import { barrier, functional as D, getRank, getWorldSize, newGroup, WORLD } from '../../src/index.js';

const rank = getRank();
if (getWorldSize() !== 3) throw new Error(`groups.ts needs 3 ranks, got ${getWorldSize()}`);
const even = newGroup([0, 2]);
const tail = newGroup([2, 1]); // group order, not world order: rank 2 is index 0
const out: string[] = [];
const vals = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync()).join(',');
const x = tensor([rank + 1, 10 * (rank + 1)]);
if (even.isMember) {
  out.push(`even.rank=${even.rank} size=${even.size}`);
  out.push(`even.sum=${vals(D.allReduceSum(x, even))}`);
  out.push(`even.gather=${vals(D.allGather(tensor([rank], { dtype: 'int32' }), even))}`);
  out.push(`even.bcast2=${vals(D.broadcast(x, 2, even))}`);
  barrier(even);
} else {
  try {
    D.allReduceSum(x, even);
  } catch (e) {
    out.push(`nonmember: ${(e as Error).message}`);
  }
}
if (tail.isMember) {
  out.push(`tail.rank=${tail.rank}`);
  out.push(`tail.scatter=${vals(D.reduceScatterSum(tensor([rank, rank, 100 * rank, 100 * rank], { shape: [2, 2] }), tail))}`);
  try {
    D.broadcast(x, 0, tail);
  } catch (e) {
    out.push(`badroot: ${(e as Error).message}`);
  }
}
out.push(`world.sum=${vals(D.allReduceSum(x, WORLD))}`);
even.free();
tail.free();
console.log(out.map((l) => `rank ${rank} ${l}`).join('\n'));
