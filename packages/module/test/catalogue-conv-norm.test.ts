import { random, type Tensor, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d,
  AdaptiveMaxPool2d,
  Conv1d,
  Conv3d,
  ConvBn2d,
  ConvBnRelu2d,
  ConvRelu2d,
  ConvTranspose2d,
  GroupNorm,
  InstanceNorm,
  LayerNorm,
  LocalConv2d,
  LocalResponseNorm,
  type Module,
  Pad,
  PixelShuffle,
  SlidingWindow,
} from '../src/index.js';

const shapes = (m: Module) => Object.fromEntries([...m.stateDict()].map(([k, v]) => [k, [...v.shape]]));
const variance = (t: Tensor) => {
  const d = t.dataSync();
  return Array.from(d).reduce((s, v) => s + v * v, 0) / d.length;
};

describe('convolution modules', () => {
  it('Conv1d: weight (O, C, K) or (G, O/G, C/G, K), bias (1, O, 1), N(0, 1/(C·K))', () => {
    random.seed(1);
    const c = new Conv1d(8, 16, 5, { padding: 2 });
    expect(shapes(c)).toEqual({ bias: [1, 16, 1], weight: [16, 8, 5] });
    expect(variance(c.weight)).toBeGreaterThan((1 / 40) * 0.85);
    expect(variance(c.weight)).toBeLessThan((1 / 40) * 1.15);
    expect(c(random.normal(0, 1, [2, 8, 9])).shape).toEqual([2, 16, 9]);
    const g = new Conv1d(4, 6, 3, { groups: 2, bias: false });
    expect(shapes(g)).toEqual({ weight: [2, 3, 2, 3] });
    expect(g(random.normal(0, 1, [1, 4, 7])).shape).toEqual([1, 6, 5]);
  });

  it('Conv3d: weight (O, C, KD, KH, KW), bias (1, O, 1, 1, 1)', () => {
    const c = new Conv3d(2, 3, [1, 3, 3], { padding: [0, 1, 1], stride: [1, 2, 2] });
    expect(shapes(c)).toEqual({ bias: [1, 3, 1, 1, 1], weight: [3, 2, 1, 3, 3] });
    expect(c(random.normal(0, 1, [2, 2, 4, 6, 5])).shape).toEqual([2, 3, 4, 3, 3]);
    expect(shapes(new Conv3d(4, 4, 2, { groups: 4 }))).toEqual({ bias: [1, 4, 1, 1, 1], weight: [4, 1, 1, 2, 2, 2] });
  });

  it('ConvTranspose2d: weight (IC, OC, KH, KW) from N(0, 1/(OC·KH·KW)), grouped (G, IC/G, OC/G, KH, KW)', () => {
    random.seed(2);
    const t = new ConvTranspose2d(32, 12, 4, { stride: 2, padding: 1 });
    expect(shapes(t)).toEqual({ bias: [1, 12, 1, 1], weight: [32, 12, 4, 4] });
    expect(variance(t.weight)).toBeGreaterThan((1 / 192) * 0.85);
    expect(variance(t.weight)).toBeLessThan((1 / 192) * 1.15);
    expect(t(random.normal(0, 1, [1, 32, 5, 3])).shape).toEqual([1, 12, 10, 6]);
    const g = new ConvTranspose2d(4, 6, 3, { groups: 2, stride: 2, outputPadding: 1 });
    expect(g.weight.shape).toEqual([2, 2, 3, 3, 3]);
    expect(g(random.normal(0, 1, [2, 4, 3, 3])).shape).toEqual([2, 6, 8, 8]);
  });

  it('LocalConv2d: weight (G, OH, OW, C/G, KH, KW, O/G), no bias', () => {
    const l = new LocalConv2d(4, 6, 7, 5, 3, { stride: 2, padding: 1, groups: 2 });
    expect(shapes(l)).toEqual({ weight: [2, 4, 3, 2, 3, 3, 3] });
    expect(l(random.normal(0, 1, [2, 4, 7, 5])).shape).toEqual([2, 6, 4, 3]);
    expect(() => l(random.normal(0, 1, [2, 4, 9, 5]))).toThrow(
      /localConv2d: weight .* is made for a 4×3 output but inp \(2, 4, 9, 5\) gives 5×3/,
    );
  });

  it('ConvBn2d / ConvBnRelu2d: conv.* and bn.* keys; fuse() gives one convolution with the same eval output', async () => {
    random.seed(4);
    for (const [Block, groups] of [
      [ConvBn2d, 1],
      [ConvBnRelu2d, 2],
    ] as const) {
      const m = new Block(4, 6, 3, { padding: 1, groups, momentum: 0.5 });
      expect(Object.keys(shapes(m)).sort()).toEqual([
        'bn.bias',
        'bn.runningMean',
        'bn.runningVar',
        'bn.weight',
        'conv.bias',
        'conv.weight',
      ]);
      // a few training steps move the running statistics away from (0, 1)
      for (let i = 0; i < 3; i++) m(random.normal(0.5, 2, [4, 4, 5, 5]));
      m.bn.weight!._reset(random.uniform(0.5, 1.5, [6]));
      m.bn.bias!._reset(random.normal(0, 1, [6]));
      m.conv.bias!._reset(random.normal(0, 1, [1, 6, 1, 1]));
      m.eval();
      const x = random.normal(0, 1, [2, 4, 5, 5]);
      const fused = m.fuse();
      expect(fused).toBeInstanceOf(groups === 2 ? ConvRelu2d : Object.getPrototypeOf(ConvRelu2d));
      expect(Object.keys(shapes(fused)).sort()).toEqual(['bias', 'weight']);
      const want = await m(x).data();
      const got = await fused(x).data();
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
    }
  });

  it('ConvBn2d.fuse needs running statistics', () => {
    const m = new ConvBn2d(2, 2, 1, { trackRunningStats: false });
    expect(() => m.fuse()).toThrow(/ConvBn2d.fuse: the batch norm must track running statistics/);
  });
});

describe('normalisation modules', () => {
  it('LayerNorm, GroupNorm, InstanceNorm: weight ones, bias zeros, shapes as MegEngine', async () => {
    const ln = new LayerNorm([3, 4]);
    expect(shapes(ln)).toEqual({ bias: [3, 4], weight: [3, 4] });
    expect([...ln.weight!.dataSync()].every((v) => v === 1)).toBe(true);
    expect(shapes(new LayerNorm(5, { affine: false }))).toEqual({});
    expect(shapes(new GroupNorm(2, 6))).toEqual({ bias: [6], weight: [6] });
    expect(shapes(new InstanceNorm(3))).toEqual({ bias: [3], weight: [3] });
    const y = new GroupNorm(2, 4)(random.normal(3, 2, [2, 4, 3, 3]));
    const d = await y.data();
    const first = d.slice(0, 18); // batch 0, group 0
    const mean = Array.from(first).reduce((a, b) => a + b, 0) / 18;
    expect(mean).toBeCloseTo(0, 5);
    expect(() => new GroupNorm(4, 6)).toThrow(/GroupNorm: numGroups \(4\) must divide numChannels \(6\)/);
    expect(() => new LayerNorm(4)(random.normal(0, 1, [2, 5]))).toThrow(
      /layerNorm: argument 'normalizedShape' must match the trailing axes of inp \(2, 5\), got \[4\]/,
    );
  });

  it('LocalResponseNorm has MegEngine defaults and rejects an even window', async () => {
    const m = new LocalResponseNorm();
    expect([m.kernelSize, m.k, m.alpha, m.beta]).toEqual([5, 2, 1e-4, 0.75]);
    // one channel: y = x · (k + alpha·x²)^(−beta)
    const y = await new LocalResponseNorm(3, 1, 1e-4, 0.75)(tensor([1, 2], { shape: [1, 1, 1, 2] })).data();
    expect(y[0]).toBeCloseTo(0.999925, 6);
    expect(y[1]).toBeCloseTo(1.9994003, 6);
    expect(() => new LocalResponseNorm(4)).toThrow(/kernelSize' must be odd, got 4/);
  });
});

describe('pooling and resizing modules', () => {
  it('adaptive pools, PixelShuffle, SlidingWindow, Pad give MegEngine shapes and have no parameters', () => {
    const x = random.normal(0, 1, [2, 8, 7, 6]);
    expect(new AdaptiveAvgPool2d(1)(x).shape).toEqual([2, 8, 1, 1]);
    expect(new AdaptiveMaxPool2d([3, 2])(x).shape).toEqual([2, 8, 3, 2]);
    expect(new PixelShuffle(2)(x).shape).toEqual([2, 2, 14, 12]);
    expect(new SlidingWindow(3, 1, 2)(x).shape).toEqual([2, 8, 4, 3, 3, 3]);
    expect(
      new Pad(
        [
          [0, 0],
          [0, 0],
          [1, 2],
          [3, 0],
        ],
        'reflect',
      )(x).shape,
    ).toEqual([2, 8, 10, 9]);
    for (const m of [new AdaptiveAvgPool2d(2), new PixelShuffle(2), new SlidingWindow(2), new Pad([[1, 1]])]) expect(shapes(m)).toEqual({});
    expect(() => new AdaptiveAvgPool2d(8)(x)).toThrow(/adaptiveAvgPool2d: argument 'oshp' must not exceed the input's 7×6, got 8×8/);
    expect(() => new Pad([[1, 1]], 'wrap' as 'constant')).toThrow(/Pad: argument 'mode' must be .* got "wrap"/);
  });

  it('toString prints MegEngine-style reprs', () => {
    expect(String(new ConvTranspose2d(3, 4, 2))).toBe(
      'ConvTranspose2d(3, 4, kernel_size=(2, 2), stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=True)',
    );
    expect(String(new LayerNorm(4))).toBe('LayerNorm((4,), eps=1e-05, affine=True)');
    expect(String(new GroupNorm(2, 4, { eps: 0.001 }))).toBe('GroupNorm(2, 4, eps=0.001, affine=True)');
    expect(String(new LocalResponseNorm())).toBe('LocalResponseNorm(kernel_size=5, k=2.0, alpha=0.0001, beta=0.75)');
  });
});
