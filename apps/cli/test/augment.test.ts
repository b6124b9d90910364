import { describe, expect, it } from 'vitest';
import { randomShift } from '../src/augment.js';
import { digitTransform } from '../src/dataset.js';

const img = (data: Uint8Array, side: number) => ({ data, channels: 1, height: side, width: side });

describe('randomShift', () => {
  it('moves a digit by at most maxShift pixels without losing ink inside the margin', () => {
    const side = 8;
    const data = new Uint8Array(side * side);
    data[3 * side + 4] = 200; // one ink pixel at (y=3, x=4)
    const t = randomShift(2, 7);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const out = t(img(data, side)).data;
      const at = out.indexOf(200);
      expect(Array.from(out).reduce((a, b) => a + b, 0)).toBe(200);
      const [y, x] = [Math.floor(at / side), at % side];
      expect(Math.abs(y - 3)).toBeLessThanOrEqual(2);
      expect(Math.abs(x - 4)).toBeLessThanOrEqual(2);
      seen.add(`${y - 3},${x - 4}`);
    }
    expect(seen.size).toBe(25); // every offset in [-2, 2]² occurs
    expect(data[3 * side + 4]).toBe(200); // the input is untouched
  });

  it('is reproducible from its seed and drops what is shifted out', () => {
    const data = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const a = randomShift(1, 3);
    const b = randomShift(1, 3);
    for (let i = 0; i < 20; i++) expect(a(img(data, 4)).data).toEqual(b(img(data, 4)).data);
    expect(randomShift(0, 1)(img(data, 4)).data).toBe(data);
  });
});

describe('digitTransform', () => {
  it('pads 28→32 and normalizes with MNIST statistics', () => {
    const data = new Uint8Array(28 * 28).fill(255);
    const out = digitTransform(32)(img(data, 28));
    expect(out.height).toBe(32);
    expect(out.data[0]).toBeCloseTo((0 - 0.1307) / 0.3081, 6);
    expect(out.data[2 * 32 + 2]).toBeCloseTo((1 - 0.1307) / 0.3081, 6);
    expect(digitTransform(32, 32)(img(new Uint8Array(32 * 32), 32)).height).toBe(32);
    expect(() => digitTransform(28, 32)).toThrow(/cannot be fitted/);
  });
});
