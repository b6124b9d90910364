// jit.trace on webgpu in Node (Dawn, lavapipe here): the LeNet training step at batch 64, eager vs
// traced, alternated (jit-rounds.ts). jit-browser.ts runs the same rounds in headless Chromium.
//   `pnpm bench --only=jit-webgpu` (rows in bench/results-jit-webgpu.json), or standalone:
//   tsx --conditions=source src/webgpu/jit-step.ts [batch=64] [steps=5] [rounds=3]  (one JSON line)
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Report } from '../report.js';
import type { Timing } from '../stats.js';
import { median, runJitWebgpu } from './jit-rounds.js';

function timing(samples: number[]): Timing {
  const s = [...samples].sort((p, q) => p - q);
  return { medianMs: median(s), minMs: s[0], maxMs: s[s.length - 1], runs: s.length };
}

/** `pnpm bench --only=jit-webgpu`: rows for eager and traced, and one note per round with both ratios. */
export async function benchJitWebgpu(report: Report, quick: boolean): Promise<void> {
  console.log('\njit.trace on webgpu');
  const r = await runJitWebgpu(64, quick ? 3 : 5, 3);
  const b = 64;
  for (const [impl, samples] of [
    ['mge webgpu', r.eager],
    ['mge webgpu traced', r.traced],
  ] as const) {
    const t = timing(samples);
    report.add({ group: 'jit', workload: r.workload, impl, timing: t, value: (b * 1000) / t.medianMs, unit: 'img/s' });
  }
  for (const [i, x] of r.rounds.entries()) {
    report.note(
      `webgpu LeNet b64 traced vs eager, round ${i + 1}: wall ${x.eagerMs.toFixed(0)} / ${x.tracedMs.toFixed(0)} ms = ${x.speedup.toFixed(2)}×, CPU time (lavapipe's threads included) ${x.eagerCpuMs.toFixed(0)} / ${x.tracedCpuMs.toFixed(0)} ms = ${x.cpuSpeedup.toFixed(2)}×`,
    );
  }
  for (const line of report.ratios('mge webgpu traced', 'mge webgpu')) report.note(line);
  report.note(`webgpu traced step: ${r.dispatches} dispatches in ${r.submits} submit(s), ${r.fusedLoops} fused elementwise programs`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [batchArg = '64', stepsArg = '5', roundsArg = '3'] = process.argv.slice(2);
  const r = await runJitWebgpu(Number(batchArg), Number(stepsArg), Number(roundsArg));
  console.log(JSON.stringify({ ...r, cpu: cpus()[0]?.model }));
  process.exit(0);
}
