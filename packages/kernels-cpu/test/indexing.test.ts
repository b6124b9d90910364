import { describe, expect, it } from 'vitest';
import { loadNative, type NativeAddon } from '../src/native.js';

// gather / scatterAdd / argsort / topk straight into the addon: right values, and bad calls are
// JS errors (index values out of range are skipped, never read or written outside x).
const native: NativeAddon = loadNative();
const i32 = (...v: number[]) => new Int32Array(v);

describe('native indexing kernels', () => {
  it('gather picks along the axis and writes 0 for out-of-range positions', () => {
    const out = new Float32Array(4);
    native.gather(Float32Array.from([1, 2, 3, 4, 5, 6]), i32(2, 0, 1, 7), out, i32(2, 1, 2, 3, 2, 2));
    expect([...out]).toEqual([3, 1, 5, 0]);
  });
  it('scatterAdd adds repeated positions and skips out-of-range ones', () => {
    const out = new Float32Array(3);
    native.scatterAdd(Float32Array.from([1, 1, 1]), i32(0, 0, -1, 2), Float32Array.from([1, 2, 4, 8]), out, i32(1, 0, 3, 4));
    expect([...out]).toEqual([4, 1, 9]);
  });
  it('argsort is stable both ways, NaN last', () => {
    const out = new Int32Array(5);
    native.argsort(0, Float32Array.from([2, Number.NaN, 1, 2, 0]), out, 1, 5, 1);
    expect([...out]).toEqual([4, 2, 0, 3, 1]);
    native.argsort(1, Float32Array.from([2, Number.NaN, 1, 2, 0]), out, 1, 5, 1);
    expect([...out]).toEqual([0, 3, 2, 4, 1]);
  });
  it("topk is argsort's first k (stable, NaN last), along a strided axis too", () => {
    const x = Float32Array.from([2, Number.NaN, 1, 2, 0, Number.NaN, 2, -3]);
    for (const d of [0, 1]) {
      const full = new Int32Array(8);
      native.argsort(d, x, full, 1, 8, 1);
      for (const k of [1, 3, 7, 8]) {
        const out = new Int32Array(k);
        native.topk(d, x, out, 1, 8, 1, k);
        expect([...out]).toEqual([...full.subarray(0, k)]);
      }
    }
    // [outer 2, n 4, inner 2]
    const y = Float32Array.from({ length: 16 }, (_, i) => ((i * 7) % 11) - 5);
    const full = new Int32Array(16);
    native.argsort(1, y, full, 2, 4, 2);
    const out = new Int32Array(8);
    native.topk(1, y, out, 2, 4, 2, 2);
    expect([...out]).toEqual([...full.subarray(0, 4), ...full.subarray(8, 12)]);
    const ints = new Int32Array(3);
    native.topk(0, i32(5, -1, 3, 3, 0, -7), ints, 1, 6, 1, 3);
    expect([...ints]).toEqual([5, 1, 4]);
  });
  it('rejects wrong lengths, dtypes, axes and shapes', () => {
    expect(() => native.topk(0, new Float32Array(6), new Int32Array(2), 1, 6, 1, 7)).toThrow(
      /cpu\.topk: argument 'k' must be in \[1, 6\], got 7/,
    );
    expect(() => native.topk(0, new Float32Array(6), new Int32Array(2), 1, 6, 1, 0)).toThrow(/argument 'k'/);
    expect(() => native.topk(0, new Float32Array(6), new Int32Array(2), 1, 6, 1, 3)).toThrow(/'out' must have 3/);
    expect(() => native.topk(0, new Float32Array(5), new Int32Array(2), 1, 6, 1, 2)).toThrow(/'x' must have 6/);
    expect(() => native.topk(0, new Float32Array(6), new Float32Array(2) as never, 1, 6, 1, 2)).toThrow(/int32/);
    const x = new Float32Array(6);
    expect(() => native.gather(x, i32(0, 0, 0), new Float32Array(4), i32(2, 1, 2, 3, 2, 2))).toThrow(
      /cpu\.gather: argument 'index' must have 4 elements, got 3/,
    );
    expect(() => native.gather(x, i32(0, 0, 0, 0), new Float32Array(4), i32(2, 5, 2, 3, 2, 2))).toThrow(/axis 5 is out of range/);
    expect(() => native.gather(x, i32(0, 0, 0, 0, 0, 0), new Float32Array(6), i32(2, 1, 2, 3, 3, 2))).toThrow(/longer than x on axis 0/);
    expect(() => native.gather(x, new Float32Array(4) as never, new Float32Array(4), i32(2, 1, 2, 3, 2, 2))).toThrow(/int32/);
    expect(() => native.scatterAdd(x, i32(0), new Int32Array(1) as never, new Float32Array(6), i32(1, 0, 6, 1))).toThrow(
      /'src' must be float32/,
    );
    expect(() => native.argsort(0, x, new Int32Array(5), 1, 6, 1)).toThrow(/'out' must have 6/);
  });
});
