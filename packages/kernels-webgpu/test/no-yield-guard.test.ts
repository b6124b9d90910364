import { describe, expect, it, vi } from 'vitest';
import { gpuForTests } from './setup.js';

const { backend: gpu } = await gpuForTests();

// Dawn for Node keeps every kernel's bind group until the event loop turns, and lavapipe
// segfaults past 65,536 of them: a loop that never yields gets a warning, then an error
// instead of the crash, and works again once the loop has turned.
describe.skipIf(!gpu)('a loop that never yields to the event loop', () => {
  it('is warned at 20,000 kernels and stopped with an error before 65,536', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const x = { buf: gpu!.upload(new Float32Array([1, 2, 3])), shape: [3], dtype: 'float32' as const };
    let thrown: Error | undefined;
    let i = 0;
    for (; i < 70_000; i++) {
      try {
        gpu!.release(gpu!.binary('add', x, x, [3]));
      } catch (e) {
        thrown = e as Error;
        break;
      }
    }
    expect(thrown?.message).toMatch(/^webgpu: .*: 60000 kernels ran without the event loop turning; Dawn keeps every kernel's bind group/);
    expect(i).toBeGreaterThanOrEqual(59_000);
    expect(i).toBeLessThanOrEqual(60_000);
    expect(warn.mock.calls.some((c) => /20000 kernels ran without the event loop turning/.test(String(c[0])))).toBe(true);
    warn.mockRestore();
    await new Promise((resolve) => setImmediate(resolve));
    const y = gpu!.binary('add', x, x, [3]);
    expect(Array.from((await gpu!.read(y, 'float32', 3)) as Float32Array)).toEqual([2, 4, 6]);
  }, 300_000);
});
