// Which module the page loads: the threaded one on a cross-origin isolated page
// (vitest.browser.threads.config.ts), the single-thread one otherwise, and the registry says which.
import { deviceInfo, getBackend, ready, tensor } from '@mge/core';
import { matmul } from '@mge/functional';
import { describe, expect, inject, it } from 'vitest';
import { defaultBuild, instantiateKernels, threadedWasmUrl, useCompiledKernels } from '../../src/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    crossOriginIsolated: boolean;
  }
}

describe('module choice in the browser', () => {
  it('loads the threaded module exactly when the page is cross-origin isolated', async () => {
    await ready();
    const isolated = inject('crossOriginIsolated');
    expect(globalThis.crossOriginIsolated).toBe(isolated);
    const wasm = deviceInfo().find((d) => d.name === 'wasm');
    if (isolated) {
      const n = Math.min(8, navigator.hardwareConcurrency);
      expect(defaultBuild().build).toBe(n > 1 ? 'threads' : 'single');
      expect(wasm?.description).toBe(`WebAssembly (wasm-simd128 GEMM, ${n} thread${n > 1 ? 's' : ''})`);
      expect(getBackend('wasm').memory).toBeDefined();
    } else {
      expect(defaultBuild()).toEqual({ build: 'single', why: 'the page is not cross-origin isolated (COOP/COEP headers)' });
      expect(wasm?.description).toBe(
        'WebAssembly (wasm-simd128 GEMM, 1 thread: the page is not cross-origin isolated (COOP/COEP headers))',
      );
    }
  });
  it('instantiates the threaded module only when isolated, and otherwise names the reason', async () => {
    const mt = await WebAssembly.compileStreaming(fetch(threadedWasmUrl));
    if (inject('crossOriginIsolated')) {
      expect(await instantiateKernels(mt, 2)).toMatchObject({ build: 'threads', threads: 2 });
      return;
    }
    const why = 'the page is not cross-origin isolated (COOP/COEP headers)';
    expect(() => useCompiledKernels(mt)).toThrow(`useCompiledKernels: module is the threaded build, which this realm cannot run: ${why}`);
    await expect(instantiateKernels(mt)).rejects.toThrow(`the threaded wasm kernel module cannot run here: ${why}`);
  });
  it('a product split over the threads equals the js backend', async () => {
    const v = Array.from({ length: 96 * 80 }, (_, i) => ((i * 37) % 17) - 8);
    const a = tensor(v, { shape: [96, 80], device: 'wasm' });
    const b = tensor(v, { shape: [80, 96], device: 'wasm' });
    const got = await matmul(a, b).data();
    const want = await matmul(a.to('js'), b.to('js')).data();
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});
