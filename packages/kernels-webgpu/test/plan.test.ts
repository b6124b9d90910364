// A replay's buffer plan (jit.trace) at the backend: a planned buffer (or a view of its first
// elements) becomes the next kernel's output when it fits, is never pooled, and bad arguments
// are refused by name.
import { describe, expect, it } from 'vitest';
import { gpuForTests } from './setup.js';

const { backend: gpu } = await gpuForTests();

describe.skipIf(!gpu)('webgpu buffer plan', () => {
  const f32 = (xs: number[]) => ({ buf: gpu!.upload(new Float32Array(xs)), shape: [xs.length], dtype: 'float32' as const });

  it('the next output of the planned size is written into the planned buffer or its view', async () => {
    const slot = gpu!.planBuffer('float32', 8);
    const view = gpu!.planView(slot, 3);
    const x = f32([1, -2, 3]);
    const acquired = gpu!.memory().liveBuffers;
    gpu!.planOutput(view);
    const y = gpu!.unary('neg', x);
    expect(y).toBe(view);
    expect(gpu!.memory().liveBuffers).toBe(acquired);
    // the planned buffer is an argument like any other
    const z = gpu!.binary('mul', { buf: y, shape: [3], dtype: 'float32' }, x, [3]);
    expect(Array.from((await gpu!.read(z, 'float32', 3)) as Float32Array)).toEqual([-1, -4, -9]);
    expect(Array.from((await gpu!.read(view, 'float32', 3)) as Float32Array)).toEqual([-1, 2, -3]);
    expect(() => gpu!.release(view)).toThrow(/webgpu.release: argument 'buf' belongs to a replay's buffer plan/);
    gpu!.release(x.buf);
    gpu!.release(z);
  });

  it('a planned buffer that does not fit the next output is dropped, not used', () => {
    const slot = gpu!.planBuffer('float32', 8);
    const x = f32([1, 2, 3]);
    gpu!.planOutput(slot);
    const y = gpu!.unary('neg', x);
    expect(y).not.toBe(slot);
    // used up: the output after it comes from the pool too
    const y2 = gpu!.unary('neg', { ...x, buf: gpu!.upload(new Float32Array(8)), shape: [8] });
    expect(y2).not.toBe(slot);
    for (const b of [x.buf, y, y2]) gpu!.release(b);
  });

  it('refuses bad arguments, naming them', () => {
    expect(() => gpu!.planBuffer('float32', 0)).toThrow(/webgpu.planBuffer: argument 'length' expected an integer in \[1, \d+\], got 0/);
    expect(() => gpu!.planBuffer('float64' as 'float32', 4)).toThrow(
      /webgpu.planBuffer: argument 'dtype' expected float32\|int32\|bool, got float64/,
    );
    const slot = gpu!.planBuffer('int32', 4);
    expect(() => gpu!.planView(slot, 5)).toThrow(/webgpu.planView: argument 'length' expected an integer in \[1, 4\], got 5/);
    expect(() => gpu!.planView(gpu!.planView(slot, 2), 1)).toThrow(/webgpu.planView: argument 'buf' expected a buffer of planBuffer/);
    const x = gpu!.upload(new Float32Array(4));
    expect(() => gpu!.planOutput(x)).toThrow(/webgpu.planOutput: argument 'buf' expected a planned buffer or null/);
    gpu!.release(x);
  });
});
