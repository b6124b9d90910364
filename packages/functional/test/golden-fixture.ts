// What the PyTorch golden runners share: a fixture tensor, its upload to a device, and the
// element-wise comparison (relative error against max(1, |want|)).
import { type Tensor, tensor } from '@mge/core';
import { expect } from 'vitest';

export interface FixtureTensor {
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  data: number[];
}

export function fixtureTensor(f: FixtureTensor, device: string): Tensor {
  const data = f.dtype === 'int32' ? Int32Array.from(f.data) : f.dtype === 'bool' ? Uint8Array.from(f.data) : Float32Array.from(f.data);
  return tensor(data, { shape: f.shape, dtype: f.dtype ?? 'float32', device });
}

export async function expectClose(what: string, got: Tensor | null | undefined, want: FixtureTensor, rtol: number): Promise<void> {
  expect(got, `${what}: missing`).toBeTruthy();
  const t = got as Tensor;
  expect([...t.shape], `${what}: shape`).toEqual(want.shape);
  const values = await t.data();
  const bad: string[] = [];
  for (let i = 0; i < want.data.length; i++) {
    const err = Math.abs(values[i] - want.data[i]) / Math.max(1, Math.abs(want.data[i]));
    if (!(err <= rtol) && bad.length < 5) bad.push(`[${i}] got ${values[i]}, want ${want.data[i]}`);
  }
  expect(bad, what).toEqual([]);
}
