import { GradManager, random, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d } from '../src/index.js';

describe('layers', () => {
  it('Conv2d: bias (1,O,1,1) zeros, weight ~ N(0, 1/fan_in), grouped weight 5-d', () => {
    random.seed(3);
    const c = new Conv2d(16, 32, 3);
    expect(c.bias!.shape).toEqual([1, 32, 1, 1]);
    expect([...c.bias!.dataSync()].every((v) => v === 0)).toBe(true);
    const w = c.weight.dataSync() as Float32Array;
    const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(variance).toBeGreaterThan((1 / 144) * 0.85);
    expect(variance).toBeLessThan((1 / 144) * 1.15);
    const g = new Conv2d(4, 6, 3, { groups: 2, padding: 1 });
    expect(g.weight.shape).toEqual([2, 3, 2, 3, 3]);
    expect(g(random.normal(0, 1, [1, 4, 5, 5])).shape).toEqual([1, 6, 5, 5]);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/groups \(2\) must divide inChannels \(3\)/);
    expect(() => c(random.normal(0, 1, [1, 3, 8, 8]))).toThrow(/expects 16 input channels but inp \(1, 3, 8, 8\) has 3/);
  });

  it('BatchNorm2d keeps 90 % of the running statistics and uses the unbiased batch variance', () => {
    const bn = new BatchNorm2d(1);
    const x = tensor([1, 2, 3, 4], { shape: [4, 1, 1, 1] });
    const y = bn(x);
    // biased variance 1.25 normalises; unbiased 5/3 updates the running variance
    expect(y.dataSync()[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25 + 1e-5), 5);
    expect(bn.runningMean!.dataSync()[0]).toBeCloseTo(0.1 * 2.5, 6);
    expect(bn.runningVar!.dataSync()[0]).toBeCloseTo(0.9 + 0.1 * (5 / 3), 6);
    bn.eval();
    const z = bn(x);
    expect(z.dataSync()[0]).toBeCloseTo((1 - 0.25) / Math.sqrt(0.9 + 0.1 * (5 / 3) + 1e-5), 5);
  });

  it('Dropout is the identity in eval mode and scales kept values in training', () => {
    random.seed(0);
    const d = new Dropout(0.5);
    const y = d(tensor(new Float32Array(1000).fill(1))).dataSync();
    expect(new Set(y)).toEqual(new Set([0, 2]));
    d.eval();
    expect(d(tensor([1, 2])).dataSync()).toEqual(new Float32Array([1, 2]));
  });

  it('gradients flow through a small network of layers', () => {
    random.seed(1);
    const conv = new Conv2d(1, 2, 3);
    const pool = new MaxPool2d(2);
    const flat = new Flatten();
    const fc = new Linear(8, 1);
    const gm = new GradManager().attach([...conv.parameters(), ...fc.parameters()]);
    gm.record();
    const out = fc(flat(pool(conv(random.normal(0, 1, [2, 1, 6, 6]))))).sum();
    gm.backward(out);
    expect(conv.weight.grad!.shape).toEqual([2, 1, 3, 3]);
    expect(fc.bias!.grad!.dataSync()[0]).toBe(2);
  });
});
