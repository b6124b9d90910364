#!/usr/bin/env node
// `pnpm --filter @mge/distributed bench`: data-parallel LeNet and ResNet-18 at one global batch,
// 2 ranks × 1 thread vs 1 process × 2 threads, the communication share of a step, the all-reduce
// latency/bandwidth on 2 ranks, and a projection for N ranks from those measurements.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
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
  const flags = ['--oversubscribe', '--bind-to', 'none', '-n', String(n), '-x', `MGE_NUM_THREADS=${threads}`];
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

console.log(`CPU: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, ${process.arch}`);
const rows = [];
for (const [model, global, steps] of [
  ['lenet', GLOBAL, 20],
  ['resnet18', 16, 4],
]) {
  const one = alone('step.ts', [model, String(global), String(steps)], 2);
  const two = mpirun(2, 'step.ts', [model, String(global), String(steps)], 1);
  rows.push({ model, global, one, two });
}
console.log('\nms per SGD step at the same global batch (lower is better); ResNet-18: CIFAR stem, 3×32×32, BatchNorm per rank');
console.log(
  '| model | global batch | 1 process × 2 threads | 2 ranks × 1 thread | ratio 2 ranks / 1 process | all-reduce ms/step | comm share |',
);
console.log('|---|---|---|---|---|---|---|');
for (const { model, global, one, two } of rows) {
  console.log(
    `| ${model} | ${global} | ${one.msPerStep.toFixed(1)} | ${two.msPerStep.toFixed(1)} | ${(two.msPerStep / one.msPerStep).toFixed(2)}× | ${two.commMsPerStep.toFixed(1)} | ${((100 * two.commMsPerStep) / two.msPerStep).toFixed(1)}% |`,
  );
}
console.log('(all-reduce time includes waiting for the slower rank and the host copies)');
const ar = mpirun(2, 'allreduce.ts', [], 1);
console.log('\nall-reduce (sum, float32) on 2 ranks, one machine');
console.log('| elements | bytes | µs (median) | µs (min) | GB/s (bytes / min time) |');
console.log('|---|---|---|---|---|');
for (const r of ar.rows) {
  console.log(`| ${r.n} | ${r.bytes} | ${r.us.toFixed(1)} | ${r.minUs.toFixed(1)} | ${(r.bytes / r.minUs / 1e3).toFixed(2)} |`);
}

// Model (Hockney): one message costs α + bytes·β. A ring all-reduce over N ranks sends 2(N−1)
// messages of bytes/N per rank: t_N = 2(N−1)·α + 2(N−1)/N·bytes·β; for N = 2, t_2 = 2α + bytes·β.
// So α is half the time of the smallest all-reduce, β the slope between the smallest and largest,
// both from the fastest of the repetitions (the others hold the machine's other load). Measured
// times include the host copy in and out of the tensor, as training pays it.
const first = ar.rows[0];
const last = ar.rows[ar.rows.length - 1];
const alpha = first.minUs / 2;
const beta = (last.minUs - first.minUs) / (last.bytes - first.bytes);
console.log(`fit: α = ${alpha.toFixed(1)} µs per message, β = ${(beta * 1e3).toFixed(3)} ns per byte`);
for (const { model, global, two } of rows) {
  const bytes = two.params * 4;
  const P = two.tensors; // one all-reduce per parameter tensor (no bucketing)
  const compute2 = two.msPerStep - two.commMsPerStep; // ms of compute at batch global/2, 1 thread
  console.log(
    `\nprojection, ${model} at global batch ${global}: step_N = compute(${global / 2})·2/N + ${P}·2(N−1)·α + 2(N−1)/N·${bytes} B·β`,
  );
  const model2 = (P * 2 * alpha + bytes * beta) / 1e3;
  console.log(
    `inputs: compute(${global / 2}) = ${compute2.toFixed(2)} ms (measured); at N = 2 the model gives ${model2.toFixed(2)} ms of all-reduce, measured ${two.commMsPerStep.toFixed(2)} ms`,
  );
  console.log('| ranks N | compute ms | all-reduce ms | step ms | comm share |');
  console.log('|---|---|---|---|---|');
  for (const n of [2, 4, 8, 16, 32, 64]) {
    const comp = (compute2 * 2) / n;
    const comm = (P * 2 * (n - 1) * alpha + (2 * (n - 1) * bytes * beta) / n) / 1e3;
    console.log(
      `| ${n} | ${comp.toFixed(2)} | ${comm.toFixed(2)} | ${(comp + comm).toFixed(2)} | ${((100 * comm) / (comp + comm)).toFixed(1)}% |`,
    );
  }
}
console.log("(one machine's shared-memory α and β; across machines use the network's, e.g. from this bench run with a hostfile)");
