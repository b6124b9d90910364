/// <reference lib="dom" />
// The benchmark page: both sides in one page, on the adapter navigator.gpu hands out.
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { getBackend, ready } from '@mge/core';
import * as tf from '@tensorflow/tfjs-core';
import '@mge/kernels-webgpu';
import { mgeWorkloads } from './mge-workloads.js';
import { tfjsWorkloads } from './tfjs-workloads.js';
import { type BenchConfig, measure, summarize, type Timing } from './workloads.js';

export interface SideResult {
  name: string;
  flops: number;
  timing: Timing;
}

async function adapterInfo(): Promise<Record<string, unknown>> {
  const adapter = await navigator.gpu.requestAdapter();
  const i = adapter?.info;
  return {
    vendor: i?.vendor,
    architecture: i?.architecture,
    device: i?.device,
    description: i?.description,
    isFallbackAdapter: (i as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter,
  };
}

/**
 * Per workload: warm both sides up, then alternate mge and tfjs runs, so load from other
 * processes on a shared machine lands on both sides alike. Medians per side.
 */
async function runBoth(cfg: BenchConfig, warmup: number, runs: number, only?: string): Promise<{ mge: SideResult[]; tfjs: SideResult[] }> {
  const ours = mgeWorkloads('webgpu', cfg);
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

(globalThis as Record<string, unknown>).runBench = async (cfg: BenchConfig, warmup: number, runs: number, only?: string) => {
  await ready();
  const ours = getBackend('webgpu') as unknown as { description: string };
  await tf.setBackend('webgpu');
  await tf.ready();
  const { mge, tfjs } = await runBoth(cfg, warmup, runs, only);
  return {
    adapter: await adapterInfo(),
    oursDescription: ours.description,
    tfjsBackend: tf.getBackend(),
    mge,
    tfjs,
    userAgent: navigator.userAgent,
  };
};
(globalThis as Record<string, unknown>).benchReady = true;
