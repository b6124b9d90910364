/**
 * @mge/kernels-cpu — the native `cpu` backend. Importing this package registers
 * the device `cpu` (priority 200, above `js`). If the addon is missing or fails to
 * load, the registry records why and keeps using `js`.
 */
import { registerBackend } from '@mge/core';
import { CpuBackend } from './cpu-backend.js';
import { loadNative } from './native.js';

export { CpuBackend, type CpuBackendOptions } from './cpu-backend.js';
export { installGcWatch } from './gc-watch.js';
export { addonPath } from './native.js';

registerBackend('cpu', () => new CpuBackend(), 200);

/** The SIMD level of the GEMM micro-kernel in use and the size of the thread pool. */
export function cpuInfo(): { isa: string; threads: number } {
  return loadNative().info();
}

/** Resizes the thread pool (MegEngine-style runtime knob; MGE_NUM_THREADS sets the initial size). */
export function setNumThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: argument 'n' must be a positive integer, got ${n}`);
  return loadNative().setNumThreads(n);
}

/**
 * Measures the single-thread FMA peak of the ISA path in use, in GFLOP/s (~0.1 s; benchmarks
 * report results as a fraction of it). 0 on the portable path.
 */
export function measureFmaPeak(): number {
  return loadNative().fmaPeak();
}

/** Forces a GEMM micro-kernel (tests and benchmarks); false if this CPU cannot run it. */
export function setGemmIsa(isa: 'avx512' | 'avx2' | 'neon' | 'portable'): boolean {
  return loadNative().setGemmIsa(isa);
}
