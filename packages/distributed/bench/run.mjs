#!/usr/bin/env node
// `pnpm --filter @mge/distributed bench`: data-parallel LeNet and ResNet-18 at one global batch,
// 2 ranks × 1 thread vs 1 process × 2 threads, the communication share of a step and what the
// overlap with backward saves, the all-reduce latency/bandwidth on 2 ranks, and a projection for
// N ranks from those measurements. Results: bench/results-distributed.md at the repository root.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = ['--conditions=source', '--import', 'tsx'];
const GLOBAL = 64;

function json(r, what) {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
function mpirun(n, script, args, threads) {
  // a rank waiting in MPI yields its core (Open MPI spins otherwise): the machine may be shared
  const flags = [
    '--oversubscribe',
    '--bind-to',
    'none',
    '--mca',
    'mpi_yield_when_idle',
    '1',
    '-n',
    String(n),
    '-x',
    `MGE_NUM_THREADS=${threads}`,
  ];
  if (process.getuid?.() === 0) flags.unshift('--allow-run-as-root');
  const r = spawnSync('mpirun', [...flags, process.execPath, ...tsx, join(pkgDir, 'bench', script), ...args], {
    cwd: pkgDir,
    encoding: 'utf8',
  });
  return json(r, `mpirun ${script}`);
}
function alone(script, args, threads) {
  const r = spawnSync(process.execPath, [...tsx, join(pkgDir, 'bench', script), ...args], {
    cwd: pkgDir,
    encoding: 'utf8',
    env: { ...process.env, MGE_NUM_THREADS: String(threads) },
  });
  return json(r, script);
}

const cpu = cpus()[0]?.model ?? 'unknown';
console.log(
  `date: ${new Date().toISOString()}; CPU: ${cpu} × ${cpus().length}, ${process.arch}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const rows = [];
for (const [model, global, steps, rounds] of [
  ['lenet', GLOBAL, 10, 3],
  ['resnet18', 16, 2, 3],
]) {
  const args = [model, String(global), String(steps), String(rounds)];
  const one = alone('step.ts', args, 2);
  const two = mpirun(2, 'step.ts', args, 1);
  rows.push({ model, global, one, two });
}
const f = (x, d = 1) => x.toFixed(d);
console.log('\nms per SGD step at the same global batch (median; lower is better); ResNet-18: CIFAR stem, 3×32×32, BatchNorm per rank');
console.log('| model | global batch | 1 process × 2 threads | 2 ranks × 1 thread | ratio 2 ranks / 1 process |');
console.log('|---|---|---|---|---|');
for (const { model, global, one, two } of rows) {
  console.log(
    `| ${model} | ${global} | ${f(one.alone.msPerStep)} | ${f(two.overlap.msPerStep)} | ${f(two.overlap.msPerStep / one.alone.msPerStep, 2)}× |`,
  );
}
console.log('\nthe 2-rank step with and without its all-reduce, alternating rounds in one run (ms per step, median)');
console.log(
  '| model | gradient MB | buckets/step (started during backward) | no all-reduce | all-reduce after backward | overlapped | comm share without overlap | exposed comm with overlap | overlap speedup |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const { model, two } of rows) {
  const { none, after, overlap } = two;
  console.log(
    `| ${model} | ${f(after.bytesPerStep / 1e6, 2)} | ${f(overlap.bucketsPerStep, 0)} (${f(overlap.startedDuringBackwardPerStep, 0)}) | ${f(none.msPerStep)} | ${f(after.msPerStep)} | ${f(overlap.msPerStep)} | ${f((100 * (after.msPerStep - none.msPerStep)) / after.msPerStep)}% | ${f((100 * (overlap.msPerStep - none.msPerStep)) / overlap.msPerStep)}% | ${f(after.msPerStep / overlap.msPerStep, 2)}× |`,
  );
}
console.log(
  '(comm share = (after − none) / after: the all-reduce, the bucket copies and the wait for the slower rank; exposed = the same for the overlapped step)',
);
const ar = mpirun(2, 'allreduce.ts', [], 1);
console.log('\nall-reduce (sum, float32) on 2 ranks, one machine');
console.log('| elements | bytes | µs (median) | µs (min) | GB/s (bytes / min time) |');
console.log('|---|---|---|---|---|');
for (const r of ar.rows) {
  console.log(`| ${r.n} | ${r.bytes} | ${f(r.us)} | ${f(r.minUs)} | ${f(r.bytes / r.minUs / 1e3, 2)} |`);
}

// Model (Hockney): one message costs α + bytes·β. A ring all-reduce over N ranks sends 2(N−1)
// messages of bytes/N per rank: t_N = 2(N−1)·α + 2(N−1)/N·bytes·β; for N = 2, t_2 = 2α + bytes·β.
// So α is half the time of the smallest all-reduce and β the smallest slope from it to a size of
// 4 MiB (a bucket) or more, both from the fastest of the repetitions (the others hold the machine's
// other load). The all-reduce runs in place on a Float32Array, as on a bucket in training.
const first = ar.rows[0];
const alpha = first.minUs / 2;
// β: the best per-byte cost seen at a bucket's size (4 MiB) and above, where the data no longer
// fits the caches (the machine's other load only slows)
const beta = Math.min(...ar.rows.filter((r) => r.bytes >= 4 << 20).map((r) => (r.minUs - first.minUs) / (r.bytes - first.bytes)));
console.log(`fit: α = ${f(alpha)} µs per message, β = ${f(beta * 1e3, 3)} ns per byte`);
for (const { model, global, two } of rows) {
  const bytes = two.after.bytesPerStep;
  const B = two.after.bucketsPerStep;
  const compute2 = two.none.msPerStep; // ms per step of one rank at batch global/2, 1 thread
  console.log(
    `\nprojection, ${model} at global batch ${global}: step_N = compute(${global}/N) + ${f(B, 0)} buckets·2(N−1)·α + 2(N−1)/N·${bytes} B·β, compute(${global}/N) = compute(${global / 2})·2/N`,
  );
  const model2 = (B * 2 * alpha + bytes * beta) / 1e3;
  console.log(
    `inputs: compute(${global / 2}) = ${f(compute2, 2)} ms (measured, no all-reduce); at N = 2 the model gives ${f(model2, 2)} ms of all-reduce, measured ${f(two.after.msPerStep - compute2, 2)} ms`,
  );
  console.log('| ranks N | compute ms | all-reduce ms | step ms | comm share | speedup vs N = 2 |');
  console.log('|---|---|---|---|---|---|');
  let base = 0;
  for (const n of [2, 4, 8, 16, 32, 64]) {
    const comp = (compute2 * 2) / n;
    const comm = (B * 2 * (n - 1) * alpha + (2 * (n - 1) * bytes * beta) / n) / 1e3;
    if (n === 2) base = comp + comm;
    console.log(
      `| ${n} | ${f(comp, 2)} | ${f(comm, 2)} | ${f(comp + comm, 2)} | ${f((100 * comm) / (comp + comm))}% | ${f(base / (comp + comm), 2)}× |`,
    );
  }
}
console.log(
  "(one machine's shared-memory α and β; across machines use the network's, e.g. from this bench run with a hostfile. The projection credits no overlap: with it, up to the backward time of the earlier layers hides each bucket's all-reduce)",
);
