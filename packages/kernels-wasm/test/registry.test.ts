import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceInfo, getBackend, ready, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { compileKernels, loadKernels, useCompiledKernels, WasmBackend, wantedThreads } from '../src/index.js';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The registry as a fresh Node process sees it after importing kernels-cpu and kernels-wasm. */
function probe(env: Record<string, string>): {
  devices: { name: string; state: string; error?: string; description?: string }[];
  def: string;
} {
  const script = `
    const core = await import('@mge/core');
    await import('../kernels-cpu/src/index.ts');
    await import('./src/index.ts');
    await core.ready();
    console.log(JSON.stringify({ devices: core.deviceInfo(), def: core.getDefaultDevice() }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=source', '--input-type=module', '-e', script], {
    cwd: pkg,
    env: { ...process.env, MGE_QUIET: '1', ...env },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
}

describe('registration', () => {
  it('registers wasm between js and cpu and names its GEMM', async () => {
    await ready();
    const wasm = deviceInfo().find((d) => d.name === 'wasm');
    expect(wasm?.state).toBe('ready');
    expect(wasm?.priority).toBe(150);
    // Node can always share memory, so the threaded module loads with one thread per CPU.
    const n = wantedThreads();
    expect(wasm?.description).toBe(`WebAssembly (wasm-simd128 GEMM, ${n === 1 ? '1 thread: 1 thread asked for' : `${n} threads`})`);
  });
  it('MGE_WASM_THREADS picks the build: 1 loads the single-thread module, 3 the threaded one', () => {
    const one = probe({ MGE_WASM_THREADS: '1', MGE_CPU_DISABLE: '1' });
    expect(one.devices.find((d) => d.name === 'wasm')?.description).toBe('WebAssembly (wasm-simd128 GEMM, 1 thread: 1 thread asked for)');
    const three = probe({ MGE_WASM_THREADS: '3', MGE_CPU_DISABLE: '1' });
    expect(three.devices.find((d) => d.name === 'wasm')?.description).toBe('WebAssembly (wasm-simd128 GEMM, 3 threads)');
  });
  it('is the default in Node when the native addon cannot load', () => {
    const r = probe({ MGE_CPU_ADDON: '/nonexistent/mge_cpu.node' });
    expect(r.devices.find((d) => d.name === 'cpu')?.state).toBe('failed');
    expect(r.def).toBe('wasm');
  });
  it('MGE_WASM_DISABLE=1 makes the factory fail with a reason', () => {
    const r = probe({ MGE_WASM_DISABLE: '1', MGE_CPU_DISABLE: '1' });
    expect(r.devices.find((d) => d.name === 'wasm')?.error).toMatch(/MGE_WASM_DISABLE=1/);
    expect(r.def).toBe('js');
  });
});

describe('one compiled module per realm', () => {
  it('compiles once, instantiates the module it is handed, and names a wrong argument', async () => {
    const m = await compileKernels();
    expect(await compileKernels()).toBe(m);
    // What a worker does with the page's module: no fetch, no compile.
    useCompiledKernels(m);
    expect(await compileKernels()).toBe(m);
    const k = await loadKernels(m);
    const be = new WasmBackend(k);
    expect([...be.readSync(be.upload(Float32Array.of(1, 2)), 'float32', 2)]).toEqual([1, 2]);
    expect(() => useCompiledKernels(new Uint8Array(4) as never)).toThrow(
      /useCompiledKernels: module must be a WebAssembly\.Module, got Uint8Array/,
    );
  });
});

describe('memory', () => {
  it('reuses released blocks, grows the module memory without losing data, and rejects foreign buffers', async () => {
    const be = new WasmBackend(await loadKernels(), { poolBytes: 2 ** 20 });
    const a = be.upload(Float32Array.of(1, 2, 3));
    be.release(a);
    const b = be.allocate('float32', 3);
    expect(b.ptr).toBe(a.ptr);
    expect([...be.readSync(b, 'float32', 3)]).toEqual([0, 0, 0]);
    // 64 MiB more than the initial 32 MiB memory: the module grows, views are rebuilt.
    const big = be.allocate('float32', 2 ** 24);
    const c = be.upload(Int32Array.of(7, -8));
    expect([...be.readSync(c, 'int32', 2)]).toEqual([7, -8]);
    expect(be.memory()).toMatchObject({ liveBuffers: 3, liveBytes: 12 + 2 ** 26 + 8 });
    be.release(big);
    expect(be.memory().pooledBytes).toBe(0); // larger than the pool: freed at once
    expect(() => be.release(big)).toThrow(/not a live buffer of this backend \(released twice\?\)/);
    expect(() => be.unary('neg', { buf: Float32Array.of(1, 2, 3) as never, shape: [3], dtype: 'float32' })).toThrow(
      /WasmBackend\.unary: argument 'x' expected a live wasm buffer, got Float32Array of 3 elements/,
    );
    expect(() => be.unary('neg', { buf: c, shape: [3], dtype: 'int32' })).toThrow(/argument 'x' has shape \[3\] \(3 elements\) but holds/);
  });
  it('returns module memory through core when tensors are disposed', async () => {
    await ready();
    const before = getBackend('wasm').memory().liveBuffers;
    const t = tensor([1, 2, 3], { device: 'wasm' });
    expect(getBackend('wasm').memory().liveBuffers).toBe(before + 1);
    t.dispose();
    expect(getBackend('wasm').memory().liveBuffers).toBe(before);
  });
});
