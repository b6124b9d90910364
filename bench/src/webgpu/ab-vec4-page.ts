/// <reference lib="dom" />
// The page of ab-vec4.ts: our workloads with scalar and vec4 GEMM staging, alternating.
import { getBackend, ready } from '@mge/core';
import '@mge/kernels-webgpu';
import { mgeWorkloads } from './mge-workloads.js';
import { DEFAULT_CONFIG, measure } from './workloads.js';

(globalThis as Record<string, unknown>).runAB = async (rounds: number, only: string[]) => {
  await ready();
  const backend = getBackend('webgpu') as unknown as { vec4: boolean };
  const workloads = mgeWorkloads('webgpu', DEFAULT_CONFIG).filter((w) => only.some((o) => w.name.includes(o)));
  const out: Record<string, { scalar: number[]; vec4: number[] }> = {};
  for (const w of workloads) {
    const r = { scalar: [] as number[], vec4: [] as number[] };
    // Both variants compile their pipelines and grow the pool before timing.
    backend.vec4 = false;
    await measure(w, 2, 0);
    backend.vec4 = true;
    await measure(w, 2, 0);
    for (let i = 0; i < rounds; i++) {
      backend.vec4 = false;
      r.scalar.push((await measure(w, 0, 1)).medianMs);
      backend.vec4 = true;
      r.vec4.push((await measure(w, 0, 1)).medianMs);
    }
    out[w.name] = r;
  }
  return out;
};
(globalThis as Record<string, unknown>).abReady = true;
