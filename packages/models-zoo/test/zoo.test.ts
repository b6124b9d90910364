import { random, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
import {
  BasicBlock,
  CharGPT,
  ConvReLU,
  channelShuffle,
  createModel,
  formatSummary,
  LeNet,
  MobileNetV2,
  ResNet,
  resnet18,
  ShuffleNetV2,
  summarize,
  TwoLayerConv,
  zoo,
} from '../src/index.js';

describe('models-zoo', () => {
  it("LeNet has the attributes of MegEngine's network-building guide examples, output (N, 10) and 61,706 parameters", () => {
    const net = new LeNet();
    expect([...net.namedChildren()].map(([k]) => k)).toEqual([
      'classifier',
      'conv1',
      'conv2',
      'fc1',
      'fc2',
      'pool1',
      'pool2',
      'relu1',
      'relu2',
      'relu3',
      'relu4',
    ]);
    const s = summarize(net, random.normal(0, 1, [2, 1, 32, 32]));
    expect(s.totalParams).toBe(61706);
    expect(s.outputShape).toEqual([2, 10]);
    const byName = Object.fromEntries(s.layers.map((l) => [l.name, l]));
    expect(byName.conv1.outputShape).toEqual([2, 6, 28, 28]);
    expect(byName.pool1.outputShape).toEqual([2, 6, 14, 14]);
    expect(byName.pool2.outputShape).toEqual([2, 16, 5, 5]);
    expect(byName.fc1.params).toBe(400 * 120 + 120);
    expect(formatSummary(s)).toContain('Total params: 61,706');
  });

  it("TwoLayerConv and ConvReLU keep the names and shapes of MegEngine's network-building guide examples", () => {
    const t = new TwoLayerConv();
    expect(t(random.normal(0, 1, [2, 3, 32, 32])).shape).toEqual([2, 16, 28, 28]);
    const c = new ConvReLU(2, 3);
    const sd = c.stateDict();
    expect([...sd.keys()]).toEqual(['convBias', 'convWeight']);
    expect(sd.get('convBias')!.shape).toEqual([1, 3, 1, 1]);
    expect(sd.get('convWeight')!.shape).toEqual([3, 2, 3, 3]);
    const s = summarize(c, random.normal(0, 1, [1, 2, 8, 8]));
    expect(s.layers[0]).toMatchObject({ name: '(own)', params: 3 * 2 * 9 + 3 });
  });

  it('createModel knows the zoo and names unknown models', () => {
    expect(Object.keys(zoo).slice(0, 6)).toEqual(['lenet', 'two-layer-conv', 'conv-relu', 'resnet18', 'resnet34', 'resnet50']);
    expect(createModel('lenet')).toBeInstanceOf(LeNet);
    expect(() => createModel('resnet')).toThrow(/unknown model 'resnet'; known models are lenet, two-layer-conv, conv-relu, resnet18/);
  });
});

describe('hub families', () => {
  const count = (name: string) => [...createModel(name).parameters()].reduce((s, p) => s + p.size, 0);
  // the exact counts of torchvision's equivalents (same layout)
  const counts: [string, number][] = [
    ['resnet18', 11_689_512],
    ['resnet34', 21_797_672],
    ['resnet50', 25_557_032],
    ['mobilenet_v2', 3_504_872],
  ];
  for (const [name, n] of counts) it(`${name} has ${n.toLocaleString('en-US')} parameters`, () => expect(count(name)).toBe(n));
  // Megvii's ShuffleNetV2 README gives millions to one decimal
  for (const [name, m] of [
    ['shufflenet_v2_x0_5', 1.4],
    ['shufflenet_v2_x1_0', 2.3],
  ] as const) {
    it(`${name} has ${m}M parameters`, () => expect(Math.round(count(name) / 1e5) / 10).toBe(m));
  }

  it('ResNet keeps MegEngine hub names and the CIFAR stem keeps 32×32 resolution into layer1', () => {
    const net = resnet18({ stem: 'cifar', numClasses: 10, width: 2 });
    const keys = [...net.stateDict().keys()];
    expect(keys).toContain('layer2.0.downsample.0.weight');
    expect(keys).toContain('layer2.0.downsample.1.runningMean');
    expect(keys).not.toContain('layer1.0.downsample.0.weight');
    const s = summarize(net, random.normal(0, 1, [1, 3, 32, 32]));
    expect(s.layers.find((l) => l.name === 'layer1')!.outputShape).toEqual([1, 2, 32, 32]);
    expect(s.outputShape).toEqual([1, 10]);
  });

  it('channelShuffle takes even channels then odd ones', async () => {
    const x = tensor(
      Float32Array.from({ length: 8 }, (_, i) => i),
      { shape: [1, 4, 1, 2] },
    );
    const [a, b] = channelShuffle(x);
    expect(Array.from(await a.data())).toEqual([0, 1, 4, 5]);
    expect(Array.from(await b.data())).toEqual([2, 3, 6, 7]);
    expect(() => channelShuffle(tensor(new Float32Array(3), { shape: [1, 3, 1, 1] }))).toThrow(
      /channelShuffle: expected \(N, C, H, W\) with C even, got \(1, 3, 1, 1\)/,
    );
  });

  it('bad arguments are named', () => {
    expect(() => new ResNet(BasicBlock, [2, 2, 2])).toThrow(/ResNet: argument 'layers' must list 4 stage depths/);
    expect(() => resnet18({ stem: 'tiny' as never })).toThrow(/ResNet: option 'stem' must be 'imagenet' or 'cifar', got tiny/);
    expect(() => new ShuffleNetV2({ modelSize: '3.0x' as never })).toThrow(
      /ShuffleNetV2: option 'modelSize' must be one of 0.5x, 1.0x, 1.5x, 2.0x, got 3.0x/,
    );
    expect(() => new MobileNetV2({ widthMult: 0 })).toThrow(/MobileNetV2: option 'widthMult' must be positive, got 0/);
    expect(() => new CharGPT({ vocabSize: 10, blockSize: 8, dim: 10, numHeads: 3 })).toThrow(
      /CausalSelfAttention: 'numHeads' \(3\) must be a positive divisor of 'dim' \(10\)/,
    );
    expect(() => new CharGPT({ vocabSize: 10, blockSize: 4 })(tensor(new Int32Array(5), { shape: [1, 5], dtype: 'int32' }))).toThrow(
      /CharGPT: sequence length 5 exceeds blockSize 4/,
    );
  });
});
