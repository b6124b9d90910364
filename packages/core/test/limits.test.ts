/** Sizes a backend cannot hold are refused before anything is allocated or filled. */
import { broadcastTo, JsBackend, MAX_ELEMENTS, ones, ready, registerBackend, tensor, zeros } from '@mge/core';
import { describe, expect, it } from 'vitest';

describe('allocation limits', () => {
  it('js: ones([2^31]) fails at once with the size asked for, before filling any memory', () => {
    const t0 = performance.now();
    expect(() => ones([2 ** 31])).toThrow(RangeError);
    expect(() => ones([2 ** 31])).toThrow(
      /full: a float32 tensor of shape \(2147483648,\) holds 2147483648 elements, 8\.0 GiB \(8589934592 bytes\); device 'js' holds at most 2147483647/,
    );
    expect(() => zeros([2 ** 16, 2 ** 16], { dtype: 'bool' })).toThrow(/zeros: a bool tensor .* 4\.0 GiB/);
    expect(() => broadcastTo(tensor([1]), [MAX_ELEMENTS + 1])).toThrow(/broadcastTo: .*holds 2147483648 elements/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
  it("a backend's own maxElements is honoured by creation, upload and kernels alike", async () => {
    class Small extends JsBackend {
      maxElements(dtype: string): number {
        return dtype === 'bool' ? 32 : 8;
      }
    }
    registerBackend('small', () => new Small(), 1);
    await ready();
    const device = 'small';
    expect(zeros([8], { device }).size).toBe(8);
    expect(() => zeros([9], { device })).toThrow(/zeros: .*device 'small' holds at most 8 elements per float32 tensor/);
    expect(() => tensor(new Float32Array(9), { device })).toThrow(/tensor: a float32 tensor of shape \(9,\)/);
    expect(() =>
      tensor([1, 2, 3], { device })
        .reshape(3, 1)
        .add(tensor([1, 2, 3], { device })),
    ).toThrow(/add: a float32 tensor of shape \(3, 3\)/);
    expect(zeros([9], { device, dtype: 'bool' }).size).toBe(9);
  });
});
