import { createWebGpuBackend, type WebGpuBackend } from '../src/backend.js';

/**
 * The backend for tests, or why there is none. Under CI=true a missing adapter is a
 * failure (the CI installs lavapipe), elsewhere the GPU tests are skipped with a note.
 */
export async function gpuForTests(): Promise<{ backend?: WebGpuBackend; reason?: string }> {
  try {
    return { backend: await createWebGpuBackend() };
  } catch (e) {
    const reason = (e as Error).message;
    if (process.env.CI === 'true') throw new Error(`CI=true requires a WebGPU adapter: ${reason}`);
    console.warn(`[kernels-webgpu] no adapter, GPU tests skipped: ${reason}`);
    return { reason };
  }
}
