import { describe, expect, it } from 'vitest';
import { niceTicks, smooth } from '../src/lib/chart.js';
import { inkFromRgba, MNIST_SIDE, toMnistDigit } from '../src/lib/digit.js';
import { histogram } from '../src/lib/histogram.js';
import { argmax } from '../src/lib/lenet-session.js';

describe('histogram', () => {
  it('bins values between min and max and gives moments', () => {
    const h = histogram([0, 1, 2, 3], 2);
    expect(h.counts).toEqual([2, 2]);
    expect(h).toMatchObject({ min: 0, max: 3, mean: 1.5 });
    expect(h.std).toBeCloseTo(Math.sqrt(1.25), 12);
  });
  it('puts a constant tensor in the middle bin', () => {
    expect(histogram(new Float32Array(5), 4).counts).toEqual([0, 0, 5, 0]);
    expect(() => histogram([1], 0)).toThrow(/bins must be a positive integer/);
  });
});

describe('chart helpers', () => {
  it('picks round ticks', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.5, 1]);
    expect(niceTicks(0.13, 2.31)).toEqual([1, 2]);
    expect(niceTicks(0.13, 2.31, 8)).toEqual([0.5, 1, 1.5, 2]);
  });
  it('smooths with an exponential moving average', () => {
    expect(smooth([1, 3, 3], 0.5)).toEqual([1, 2, 2.5]);
  });
});

describe('digit preprocessing', () => {
  function canvasWithBlock(w: number, h: number, x0: number, y0: number, bw: number, bh: number): Uint8Array {
    const ink = new Uint8Array(w * h);
    for (let y = y0; y < y0 + bh; y++) for (let x = x0; x < x0 + bw; x++) ink[y * w + x] = 255;
    return ink;
  }

  it('returns null for an empty drawing', () => {
    expect(toMnistDigit(new Uint8Array(100 * 100), 100, 100)).toBeNull();
  });

  it('scales the ink to a 20-pixel box centred by mass in 28×28', () => {
    // a tall bar in the top-left corner of a 200×200 pad
    const d = toMnistDigit(canvasWithBlock(200, 200, 10, 5, 20, 100), 200, 200)!;
    expect(d.length).toBe(MNIST_SIDE * MNIST_SIDE);
    let y0 = 99,
      y1 = -1,
      x0 = 99,
      x1 = -1,
      mx = 0,
      my = 0,
      m = 0;
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const v = d[y * 28 + x];
        if (v > 0) {
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y);
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
        }
        m += v;
        mx += v * x;
        my += v * y;
      }
    expect(y1 - y0 + 1).toBe(20);
    expect(x1 - x0 + 1).toBe(4);
    expect(mx / m).toBeCloseTo(13.5, 0);
    expect(my / m).toBeCloseTo(13.5, 0);
  });

  it('reads ink from RGBA (bright on dark) and checks sizes', () => {
    expect([...inkFromRgba([255, 255, 255, 255, 0, 0, 0, 255], 2, 1)]).toEqual([255, 0]);
    expect(() => inkFromRgba([0, 0, 0], 1, 1)).toThrow(/needs 4 values, got 3/);
    expect(argmax([0.1, 0.7, 0.2])).toBe(1);
  });
});
