import { registerBackend } from '@mge/core';
import { createWebGpuBackend } from './backend.js';

export { type AdapterFacts, adapterFacts, describeAdapter, isSoftwareAdapter } from './adapter-info.js';
export { createWebGpuBackend, WebGpuBackend, type WebGpuOptions } from './backend.js';
export { GpuBuffer } from './buffer-pool.js';

// Registers on import. A software adapter sets autoSelectable: false, so the default stays cpu/js.
registerBackend('webgpu', () => createWebGpuBackend(), 300);
