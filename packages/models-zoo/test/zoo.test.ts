import { random } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { ConvReLU, createModel, formatSummary, LeNet, summarize, TwoLayerConv, zoo } from '../src/index.js';

describe('models-zoo', () => {
  it("LeNet has the guide examples' attributes, output (N, 10) and 61,706 parameters", () => {
    const net = new LeNet();
    expect([...net.namedChildren()].map(([k]) => k)).toEqual([
      'classifier', 'conv1', 'conv2', 'fc1', 'fc2', 'pool1', 'pool2', 'relu1', 'relu2', 'relu3', 'relu4',
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

  it("TwoLayerConv and ConvReLU keep the guide examples' names and shapes", () => {
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
    expect(Object.keys(zoo)).toEqual(['lenet', 'two-layer-conv', 'conv-relu']);
    expect(createModel('lenet')).toBeInstanceOf(LeNet);
    expect(() => createModel('resnet')).toThrow(/unknown model 'resnet'; known models are lenet, two-layer-conv, conv-relu/);
  });
});
