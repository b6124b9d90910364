import { describe, expect, it, vi } from 'vitest';
import { gpuForTests } from './setup.js';

const { backend: gpu } = await gpuForTests();

// Dawn for Node frees a bind group only when the event loop turns, and lavapipe segfaults past
// 65,536 live ones. Operands are blocks of arena chunks bound with dynamic offsets, so a kernel
// repeated on same-sized operands reuses one cached bind group: a loop that never yields makes
// none after its first step. Bind groups that keep coming (shapes that never repeat, past the
// cache) still get a warning, then an error instead of the crash.
describe.skipIf(!gpu)('a loop that never yields to the event loop', () => {
  const x = () => ({ buf: gpu!.upload(new Float32Array([1, 2, 3])), shape: [3], dtype: 'float32' as const });

  it('reuses one bind group for 66,000 repeated kernels (past the crash without the cache)', async () => {
    const a = x();
    const b = x();
    const before = gpu!.runtime.stats.bindGroups;
    for (let i = 0; i < 66_000; i++) gpu!.release(gpu!.binary('add', a, b, [3]));
    expect(gpu!.runtime.stats.bindGroups - before).toBeLessThanOrEqual(1);
    // x + x binds x once and a copy once: WebGPU refuses two writable bindings over the same bytes.
    const y = gpu!.binary('add', a, a, [3]);
    expect(Array.from((await gpu!.read(y, 'float32', 3)) as Float32Array)).toEqual([2, 4, 6]);
  }, 300_000);

  it('is warned at 20,000 new bind groups and stopped with an error before 65,536', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const limit = gpu!.runtime.bindGroupCacheLimit;
    gpu!.runtime.bindGroupCacheLimit = 0; // every dispatch makes a bind group, as shapes that never repeat would
    await new Promise((resolve) => setImmediate(resolve));
    const a = x();
    const b = x();
    let thrown: Error | undefined;
    let i = 0;
    try {
      for (; i < 70_000; i++) {
        try {
          gpu!.release(gpu!.binary('add', a, b, [3]));
        } catch (e) {
          thrown = e as Error;
          break;
        }
      }
    } finally {
      gpu!.runtime.bindGroupCacheLimit = limit;
    }
    expect(thrown?.message).toMatch(/^webgpu: .*: 60000 bind groups were made without the event loop turning; Dawn keeps/);
    expect(i).toBeGreaterThanOrEqual(59_000);
    expect(i).toBeLessThanOrEqual(60_000);
    expect(warn.mock.calls.some((c) => /20000 bind groups were made without the event loop turning/.test(String(c[0])))).toBe(true);
    warn.mockRestore();
    await new Promise((resolve) => setImmediate(resolve));
    const y = gpu!.binary('add', a, b, [3]);
    expect(Array.from((await gpu!.read(y, 'float32', 3)) as Float32Array)).toEqual([2, 4, 6]);
  }, 300_000);
});
