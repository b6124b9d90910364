/**
 * @mge/kernels-wasm — the `wasm` backend: @mge/kernels-cpu's C++ kernels compiled to
 * WebAssembly SIMD. Importing this package registers the device `wasm` (priority 150:
 * above `js`, below the native `cpu`), in browsers and in Node. The module loads
 * asynchronously and lazily: `await ready()` (or `ready(['wasm'])`, from @mge/core) before using it.
 */
import { registerBackend } from '@mge/core';
import { defaultBuild, instantiateKernels } from './module.js';
import { WasmBackend } from './wasm-backend.js';

export {
  compileKernels,
  defaultBuild,
  instantiateKernels,
  type KernelExports,
  type KernelSource,
  type LoadedKernels,
  loadKernels,
  simdSupported,
  threadedWasmUrl,
  useCompiledKernels,
  WasmAbort,
  wasmUrl,
} from './module.js';
export { setWasmThreads, threadsUnavailable, wantedThreads } from './threads.js';
export { WasmBackend, type WasmBackendOptions, WasmBuffer } from './wasm-backend.js';

function disabled(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.MGE_WASM_DISABLE === '1';
}

registerBackend(
  'wasm',
  async () => {
    if (disabled()) throw new Error('disabled by MGE_WASM_DISABLE=1');
    const { kernels, threads, build, failure } = await instantiateKernels();
    const chosen = defaultBuild();
    const singleThreadReason = failure ?? (build === 'single' && chosen.build === 'single' ? chosen.why : undefined);
    return new WasmBackend(kernels, { threads, singleThreadReason });
  },
  150,
  // Compiled only when asked for (by name, or by ready()/ready('auto') choosing a default), so a
  // run on another named device never pays for it.
  { lazy: true },
);
