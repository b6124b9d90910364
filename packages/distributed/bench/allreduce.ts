// Run under mpirun by run.mjs: the time of one in-place all-reduce (sum, float32) of a bucket-like
// Float32Array, as makeAllreduceCb runs it, for sizes 1 … 4M elements; rank 0 prints one JSON line
// with {n, bytes, us (median), minUs} per size.
import { barrier, getRank, getWorldSize, init } from '../src/index.js';
import { loadMpi } from '../src/native.js';

init();
const mpi = loadMpi('bench');
const rows: { n: number; bytes: number; us: number; minUs: number }[] = [];
for (const n of [1, 256, 4096, 65536, 262144, 1048576, 4194304]) {
  const buf = new Float32Array(new ArrayBuffer(4 * n)).fill(1);
  const reps = n >= 1048576 ? 15 : 41;
  const times: number[] = [];
  mpi.allReduce(buf, 0); // warm-up
  for (let i = 0; i < reps; i++) {
    barrier();
    const t0 = process.hrtime.bigint();
    mpi.allReduce(buf, 0);
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  times.sort((a, b) => a - b);
  rows.push({ n, bytes: 4 * n, us: times[reps >> 1], minUs: times[0] });
}
if (getRank() === 0) console.log(JSON.stringify({ kind: 'allreduce', world: getWorldSize(), rows }));
