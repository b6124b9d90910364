import { registerBackend } from '@mge/core';
import { createWebGpuBackend } from './backend.js';
import { probeWebGpu } from './probe.js';

export { type AdapterFacts, adapterFacts, describeAdapter, isSoftwareAdapter } from './adapter-info.js';
export { createWebGpuBackend, WebGpuBackend, type WebGpuOptions } from './backend.js';
export { GpuBuffer } from './buffer-pool.js';
export { type ProbeResult, probeAdapter, probeWebGpu } from './probe.js';

// Registers on import and starts when asked for by name; the automatic choice (ready()) only probes
// for an adapter, and a software adapter is never chosen automatically, so the default stays cpu/js.
// MGE_WEBGPU_F16=1 (Node) stores float32 tensors as f16 on the GPU; see WebGpuOptions.f16.
const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
registerBackend('webgpu', () => createWebGpuBackend({ f16: env?.MGE_WEBGPU_F16 === '1' }), 300, {
  lazy: true,
  probe: probeWebGpu,
});
