import { getBackend, ready } from '@mge/core';
import '../src/index.js';
import type { WebGpuBackend } from '../src/backend.js';

/**
 * The registered 'webgpu' backend, or why there is none. Under CI=true a missing
 * adapter is a failure (the CI installs lavapipe); elsewhere GPU tests are skipped
 * with a note. Tests share the registry's device rather than making their own.
 */
export async function gpuForTests(): Promise<{ backend?: WebGpuBackend; reason?: string }> {
  await ready();
  try {
    return { backend: getBackend('webgpu') as WebGpuBackend };
  } catch (e) {
    const reason = (e as Error).message;
    if (process.env.CI === 'true') throw new Error(`CI=true requires a WebGPU adapter: ${reason}`);
    console.warn(`[kernels-webgpu] no adapter, GPU tests skipped: ${reason}`);
    return { reason };
  }
}
