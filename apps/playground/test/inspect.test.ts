import { setDefaultDevice } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { fieldNames, sequentialCode } from '../src/lib/codegen.js';
import { batchShape, inspectSequential, inspectZoo, parseShape } from '../src/lib/inspect.js';
import { checkArgs, layer, lenetBlocks } from '../src/lib/layers.js';

setDefaultDevice('js');

describe('inspectZoo', () => {
  it("gives LeNet's shapes and parameter counts", () => {
    const ins = inspectZoo('lenet');
    expect(ins.rows.map((r) => [r.name, batchShape(r.outputShape!)])).toEqual([
      ['conv1', '[N,6,28,28]'],
      ['relu1', '[N,6,28,28]'],
      ['pool1', '[N,6,14,14]'],
      ['conv2', '[N,16,10,10]'],
      ['relu2', '[N,16,10,10]'],
      ['pool2', '[N,16,5,5]'],
      ['fc1', '[N,120]'],
      ['relu3', '[N,120]'],
      ['fc2', '[N,84]'],
      ['relu4', '[N,84]'],
      ['classifier', '[N,10]'],
    ]);
    expect(ins.rows.find((r) => r.name === 'conv1')!.params).toBe(6 * 25 + 6);
    expect(ins.totalParams).toBe(61_706);
  });

  it("counts ConvReLU's raw parameters at the top", () => {
    const ins = inspectZoo('conv-relu');
    expect(ins.rows[0]).toMatchObject({ name: '(own)', params: 8 * 3 * 9 + 8, outputShape: [1, 8, 30, 30] });
    expect(() => inspectZoo('resnet')).toThrow(/unknown model 'resnet'/);
  });
});

describe('inspectSequential', () => {
  it('matches LeNet when composed from blocks', () => {
    const ins = inspectSequential(lenetBlocks(), [1, 32, 32]);
    expect(ins.error).toBeNull();
    expect(ins.outputShape).toEqual([1, 10]);
    expect(ins.totalParams).toBe(61_706);
    expect(ins.rows.map((r) => r.outputShape![1])).toEqual([6, 6, 6, 16, 16, 16, 400, 120, 120, 84, 84, 10]);
  });

  it('flags the layer whose input shape does not fit and leaves later layers unreached', () => {
    const specs = lenetBlocks();
    specs[7] = layer('Linear', { inFeatures: 399, outFeatures: 120 });
    const ins = inspectSequential(specs, [1, 32, 32]);
    expect(ins.error?.index).toBe(7);
    expect(ins.rows[7].error).toMatch(/399|400/);
    expect(ins.rows[6].outputShape).toEqual([1, 400]);
    expect(ins.rows[8]).toMatchObject({ outputShape: null, error: null });
    expect(ins.outputShape).toBeNull();
  });

  it('flags bad arguments before building, and a kernel larger than the image', () => {
    const bad = inspectSequential([layer('Conv2d', { kernelSize: 0 })], [1, 8, 8]);
    expect(bad.error).toEqual({ index: 0, message: 'kernelSize must be ≥ 1, got 0' });
    const big = inspectSequential([layer('Conv2d', { kernelSize: 9 })], [1, 8, 8]);
    expect(big.error?.index).toBe(0);
    expect(big.rows[0].error).toMatch(/conv2d/i);
    const channels = inspectSequential([layer('Conv2d', { inChannels: 3 })], [1, 8, 8]);
    expect(channels.rows[0].error).toMatch(/3|1/);
  });

  it('rejects a bad input shape', () => {
    expect(inspectSequential([], [1, 0, 3]).error?.message).toMatch(/integers in 1..512/);
    expect(parseShape('[1, 28 ,28]')).toEqual([1, 28, 28]);
    expect(parseShape('3x32x32')).toEqual([3, 32, 32]);
  });
});

describe('layers and codegen', () => {
  it('checks argument ranges and types', () => {
    expect(checkArgs(layer('Dropout', { dropProb: 1.5 }))).toBe('dropProb must be ≤ 0.99, got 1.5');
    expect(checkArgs(layer('Linear', { inFeatures: 2.5 }))).toBe('inFeatures must be an integer, got 2.5');
    expect(() => layer('Linear', { width: 3 })).toThrow("layer(Linear): unknown argument 'width'");
  });

  it('names fields per kind and prints runnable seed-style code', () => {
    const specs = lenetBlocks();
    expect(fieldNames(specs)).toEqual([
      'conv1',
      'relu1',
      'pool1',
      'conv2',
      'relu2',
      'pool2',
      'flatten1',
      'fc1',
      'relu3',
      'fc2',
      'relu4',
      'fc3',
    ]);
    const code = sequentialCode(
      [layer('Conv2d', { inChannels: 3, outChannels: 8, kernelSize: 3, padding: 1 }), layer('ReLU')],
      [3, 32, 32],
    );
    expect(code).toContain('  conv1 = new M.Conv2d(3, 8, 3, { padding: 1 });');
    expect(code).toContain('    x = this.relu1(x);');
    expect(code).toContain('const y = net(zeros([1, 3, 32, 32]));');
  });
});
