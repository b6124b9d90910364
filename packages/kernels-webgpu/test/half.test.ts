import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToF16Bits, fromHalf, toHalf } from '../src/half.js';

describe('host float32 ↔ float16 conversion (f16 storage mode)', () => {
  it('rounds float32 to the nearest half, ties to even', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [1 / 3, 0x3555],
      [65504, 0x7bff], // largest finite half
      [65519, 0x7bff], // just below the rounding boundary
      [65520, 0x7c00], // rounds up to ∞
      [1e30, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie between 0 and 2^-24: even is 0
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal steps: even is 2
      [1 + 2 ** -11, 0x3c00], // tie: stays at 1 (even mantissa)
      [1 + 3 * 2 ** -11, 0x3c02], // tie: up to the even neighbour
      [1 + 2 ** -10, 0x3c01], // exact
      [2047 * 2 ** -25, 0x0400], // largest value that rounds into the smallest normal
    ];
    for (const [x, bits] of cases) expect(f32ToF16Bits(x), `f16(${x})`).toBe(bits);
    expect(f32ToF16Bits(Number.NaN) & 0x7fff).toBe(0x7e00);
  });

  it('widens half bits to float32 exactly', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x3555)).toBe(0.333251953125);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
  });

  it('round-trips every half value, and pads uploads to an even length', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = f16BitsToF32(h);
      if (Number.isNaN(x)) continue;
      expect(f32ToF16Bits(x)).toBe(h);
    }
    const up = toHalf(new Float32Array([1, -2, 0.5]));
    expect(Array.from(up)).toEqual([0x3c00, 0xc000, 0x3800, 0]);
    expect(Array.from(fromHalf(up, 3))).toEqual([1, -2, 0.5]);
  });
});
