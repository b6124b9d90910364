import { describe, expect, it } from 'vitest';
import { gpuForTests } from './setup.js';

// The webgpu indexing kernels called directly with index values core would reject:
// positions outside the axis are skipped, never read or written out of bounds.
const { backend: gpu } = await gpuForTests();

describe.skipIf(!gpu)('webgpu indexing kernels', () => {
  const ref = (data: Float32Array | Int32Array, shape: number[]) => ({
    buf: gpu!.upload(data),
    shape,
    dtype: data instanceof Int32Array ? ('int32' as const) : ('float32' as const),
  });
  it('gather reads 0 and scatterAdd skips out-of-range positions', async () => {
    const x = ref(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const index = ref(Int32Array.from([2, 0, -1, 7]), [2, 2]);
    expect([...(await gpu!.read(gpu!.gather(x, index, 1), 'float32', 4))]).toEqual([3, 1, 0, 0]);
    const src = ref(Float32Array.from([10, 20, 30, 40]), [2, 2]);
    expect([...(await gpu!.read(gpu!.scatterAdd(x, index, src, 1), 'float32', 6))]).toEqual([21, 2, 13, 4, 5, 6]);
  });
  it('argsort is stable and puts NaN last', async () => {
    const x = ref(Float32Array.from([2, Number.NaN, 1, 2, 0]), [5]);
    expect([...(await gpu!.read(gpu!.argsort(x, 0, false), 'int32', 5))]).toEqual([4, 2, 0, 3, 1]);
    expect([...(await gpu!.read(gpu!.argsort(x, 0, true), 'int32', 5))]).toEqual([0, 3, 2, 4, 1]);
  });
});
