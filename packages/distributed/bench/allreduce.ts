// Run under mpirun by run.mjs: all-reduce (sum, float32, in place) time per call for sizes
// 1 … 4M elements; rank 0 prints one JSON line with {n, bytes, us (median), minUs} per size.
import '@mge/kernels-cpu';
import { tensor } from '@mge/core';
import { barrier, functional as D, getRank, getWorldSize } from '../src/index.js';

const rows: { n: number; bytes: number; us: number; minUs: number }[] = [];
for (const n of [1, 256, 4096, 65536, 262144, 1048576, 4194304]) {
  const x = tensor(new Float32Array(n).fill(1));
  const reps = n >= 1048576 ? 7 : 31;
  const times: number[] = [];
  D.allReduceSum(x).dispose(); // warm-up
  for (let i = 0; i < reps; i++) {
    barrier();
    const t0 = process.hrtime.bigint();
    D.allReduceSum(x).dispose();
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  times.sort((a, b) => a - b);
  rows.push({ n, bytes: 4 * n, us: times[reps >> 1], minUs: times[0] });
}
if (getRank() === 0) console.log(JSON.stringify({ kind: 'allreduce', world: getWorldSize(), rows }));
