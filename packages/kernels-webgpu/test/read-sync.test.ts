import { add, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { gpuForTests } from './setup.js';

const { backend: gpu } = await gpuForTests();

// In Node, reads wait for the GPU on the spot (Dawn's events are processed synchronously).
describe.skipIf(!gpu)('synchronous reads in Node', () => {
  it('to, item, dataSync and printing read computed values', () => {
    const a = tensor([1.5, -2, 3], { device: 'webgpu' });
    const b = tensor([0.5, 4, -1], { device: 'webgpu' });
    const s = add(a, b);
    const onJs = s.to('js');
    expect(onJs.device).toBe('js');
    expect(Array.from(onJs.dataSync())).toEqual([2, 2, 2]);
    expect(Array.from(tensor([7], { dtype: 'int32', device: 'webgpu' }).dataSync())).toEqual([7]);
    expect(add(tensor([41], { device: 'webgpu' }), tensor([1], { device: 'webgpu' })).item()).toBe(42);
    expect(tensor([[true, false]], { device: 'webgpu' }).numpySync()).toEqual([[true, false]]);
    expect(String(s)).toBe('Tensor([2. 2. 2.], dtype=float32, device=webgpu)');
    expect(Array.from(tensor([], { device: 'webgpu' }).dataSync())).toEqual([]);
  });

  it('waits for a long batch of kernels, with an asynchronous read in flight', async () => {
    let x = tensor([1, 2, 3, 4], { device: 'webgpu' });
    const one = tensor([1, 1, 1, 1], { device: 'webgpu' });
    for (let i = 0; i < 300; i++) x = add(x, one);
    const pendingRead = x.data();
    expect(Array.from(x.dataSync())).toEqual([301, 302, 303, 304]);
    expect(Array.from(await pendingRead)).toEqual([301, 302, 303, 304]);
    // The event loop still runs Dawn's callbacks afterwards.
    expect(Array.from(await add(x, one).data())).toEqual([302, 303, 304, 305]);
  });

  it('moves large tensors both ways', () => {
    const values = Float32Array.from({ length: 100_000 }, (_, i) => (i % 1000) - 500);
    const t = tensor(values, { device: 'js' }).to('webgpu');
    expect(t.device).toBe('webgpu');
    const back = t.to('js').dataSync();
    expect(back).toEqual(values);
  });
});
