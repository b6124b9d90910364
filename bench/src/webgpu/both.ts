// Both sides of a workload list, ours on `device` and tfjs on its active backend, interleaved.
// Runs in the browser page and in Node alike.
import { mgeWorkloads } from './mge-workloads.js';
import { tfjsWorkloads } from './tfjs-workloads.js';
import { type BenchConfig, measure, summarize, type Timing } from './workloads.js';

export interface SideResult {
  name: string;
  flops: number;
  timing: Timing;
}

/**
 * Per workload: warm both sides up, then alternate mge and tfjs runs, so load from other
 * processes on a shared machine lands on both sides alike. Medians per side.
 */
export async function runBoth(
  device: string,
  cfg: BenchConfig,
  warmup: number,
  runs: number,
  only?: string,
): Promise<{ mge: SideResult[]; tfjs: SideResult[] }> {
  const ours = mgeWorkloads(device, cfg);
  const peer = tfjsWorkloads(cfg);
  const mge: SideResult[] = [];
  const tfjs: SideResult[] = [];
  for (const [i, w] of ours.entries()) {
    if (only && !w.name.includes(only)) continue;
    const p = peer[i];
    await measure(w, warmup, 0);
    await measure(p, warmup, 0);
    const tm: number[] = [];
    const tt: number[] = [];
    for (let r = 0; r < runs; r++) {
      tm.push((await measure(w, 0, 1)).medianMs);
      tt.push((await measure(p, 0, 1)).medianMs);
    }
    mge.push({ name: w.name, flops: w.flops, timing: summarize(tm) });
    tfjs.push({ name: p.name, flops: p.flops, timing: summarize(tt) });
    console.log(`${w.name}: mge ${mge.at(-1)!.timing.medianMs.toFixed(1)} ms, tfjs ${tfjs.at(-1)!.timing.medianMs.toFixed(1)} ms`);
  }
  return { mge, tfjs };
}
