/// <reference lib="dom" />
// The benchmark page: both sides in one page — on the adapter navigator.gpu hands out
// (device webgpu), or on WebAssembly (device wasm: ours against tfjs-backend-wasm).
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { getBackend, ready } from '@mge/core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import '@mge/kernels-webgpu';
import '@mge/kernels-wasm';
import { overrideWasmConvFilterGradient } from '../tfjs-wasm-conv-grad.js';
import { runBoth } from './both.js';
import type { BenchConfig } from './workloads.js';

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

(globalThis as Record<string, unknown>).runBench = async (
  device: 'webgpu' | 'wasm',
  cfg: BenchConfig,
  warmup: number,
  runs: number,
  only?: string,
  tfjsThreads?: number,
) => {
  await ready([device]);
  const ours = getBackend(device) as unknown as { description: string };
  // tfjs-backend-wasm fetches its module from here (the bench server serves its dist/). Like
  // ours, it picks its threaded SIMD build when the page is cross-origin isolated (run.ts
  // --isolated) and its single-thread SIMD build otherwise.
  setWasmPaths('/tfjs/');
  // Its threaded build's default on this page's CPU count, unless run.ts --tfjs-threads says otherwise.
  if (tfjsThreads) setThreadsCount(tfjsThreads);
  if (device === 'wasm') overrideWasmConvFilterGradient(tf);
  await tf.setBackend(device);
  await tf.ready();
  const { mge, tfjs } = await runBoth(device, cfg, warmup, runs, only);
  return {
    adapter:
      device === 'webgpu'
        ? await adapterInfo()
        : {
            crossOriginIsolated: globalThis.crossOriginIsolated,
            tfjsThreads: getThreadsCount(),
            oursThreads: (ours as { threads?: number }).threads,
          },
    oursDescription: ours.description,
    tfjsBackend: tf.getBackend(),
    mge,
    tfjs,
    userAgent: navigator.userAgent,
  };
};
(globalThis as Record<string, unknown>).benchReady = true;
