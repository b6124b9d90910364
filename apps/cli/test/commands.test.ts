import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { save, zeros } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { checkDigitModel, createDigitClassifier, digitModels } from '../src/models.js';
import { mge, noStack } from './helpers.js';

describe('mge summary', () => {
  it('prints LeNet layer by layer with its output shapes and 61,706 parameters', async () => {
    const r = await mge('summary', 'lenet');
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').map((l) => l.trim().split(/\s{2,}/));
    const row = (name: string) => rows.find((c) => c[0] === name);
    expect(row('conv1')).toEqual(['conv1', 'Conv2d', '(1, 6, 28, 28)', '156']);
    expect(row('pool1')).toEqual(['pool1', 'MaxPool2d', '(1, 6, 14, 14)', '0']);
    expect(row('conv2')).toEqual(['conv2', 'Conv2d', '(1, 16, 10, 10)', '2,416']);
    expect(row('pool2')).toEqual(['pool2', 'MaxPool2d', '(1, 16, 5, 5)', '0']);
    expect(row('fc1')).toEqual(['fc1', 'Linear', '(1, 120)', '48,120']);
    expect(row('fc2')).toEqual(['fc2', 'Linear', '(1, 84)', '10,164']);
    expect(row('classifier')).toEqual(['classifier', 'Linear', '(1, 10)', '850']);
    expect(r.out).toContain('Total params: 61,706');
  });

  it('gives the same numbers as JSON', async () => {
    const r = await mge('summary', 'lenet', '--json');
    const s = JSON.parse(r.out);
    expect(s.totalParams).toBe(61706);
    expect(s.outputShape).toEqual([1, 10]);
    expect(s.layers).toHaveLength(11);
  });
});

describe('mge summary of the hub families', () => {
  it('prints ResNet-18 at 224×224 with its 11,689,512 parameters', async () => {
    const r = await mge('summary', 'resnet18');
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(rows.find((c) => c[0] === 'layer4.1.conv2')).toEqual(['layer4.1.conv2', 'Conv2d', '(1, 512, 7, 7)', '2,359,296']);
    expect(r.out).toContain('Total params: 11,689,512');
  });

  it('runs the character GPT on token ids', async () => {
    const s = JSON.parse((await mge('summary', 'char-gpt', '--json')).out);
    expect(s.outputShape).toEqual([1, 64, 96]);
    expect(s.totalParams).toBe(116576);
  });
});

describe('ResNets train on digits', () => {
  it('mge train --model resnet18 builds the grey 32×32, 10-class variant with the CIFAR stem', () => {
    expect(checkDigitModel('train', 'resnet18').inputShape).toEqual([1, 32, 32]);
    const { model } = createDigitClassifier('train', 'resnet18');
    const conv1 = [...model.namedParameters()].find(([k]) => k === 'conv1.weight')![1];
    expect(conv1.shape).toEqual([64, 1, 3, 3]);
    expect(digitModels()).toEqual(expect.arrayContaining(['lenet', 'resnet18', 'resnet34', 'resnet50']));
  });
});

describe('mge devices', () => {
  it('lists js as ready, says which device is the default, and why a failed one failed', async () => {
    const r = await mge('devices', '--json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as { name: string; state: string; error?: string; isDefault: boolean }[];
    expect(rows.find((d) => d.name === 'js')?.state).toBe('ready');
    expect(rows.map((d) => d.name)).toEqual(expect.arrayContaining(['js', 'cpu', 'webgpu']));
    expect(rows.filter((d) => d.isDefault)).toHaveLength(1);
    for (const d of rows) if (d.state === 'failed') expect(d.error).toBeTruthy();
    const text = await mge('devices');
    expect(text.out).toMatch(/^\* \S+/m);
    expect(text.out).toContain('js');
  });
});

describe('bad input: one line on stderr, non-zero exit, no stack trace', () => {
  const cases: [string[], number, RegExp][] = [
    [['summary', 'resnet9000'], 1, /^mge summary: unknown model 'resnet9000'; known models: lenet/],
    [['train', '--model', 'nope'], 2, /^mge train: --model must be a model from the zoo/],
    [['train', '--model', 'two-layer-conv', '--device', 'js'], 1, /^mge train: model 'two-layer-conv' takes \(3, 32, 32\) inputs/],
    [
      ['train', '--model', 'mobilenet_v2', '--device', 'js'],
      1,
      /^mge train: model 'mobilenet_v2' takes \(3, 224, 224\) inputs.*\(try: lenet, resnet18, resnet34, resnet50\)/,
    ],
    [['train', '--epochs', '0'], 2, /^mge train: --epochs must be an integer in \[1, 10000\], got '0'/],
    [['train', '--lr', '-1'], 2, /^mge train: --lr must be a decimal number > 0, got '-1'/],
    [['train', '--optimizer', 'rmsprop'], 2, /^mge train: --optimizer must be one of sgd, adam, got 'rmsprop'/],
    [['train', '--device', 'tpu'], 2, /^mge train: --device must be one of auto, js, cpu, webgpu, got 'tpu'/],
    [['train', '--batch-size', 'many'], 2, /^mge train: --batch-size must be/],
    [['train', '--frobnicate'], 2, /^mge train: Unknown option '--frobnicate'/],
    [['train', 'extra'], 2, /^mge train: unexpected argument 'extra'/],
    [['train', '--optimizer', 'adam', '--momentum', '0.9', '--device', 'js'], 1, /^mge train: --momentum applies to --optimizer sgd only/],
    [['train', '--device', 'js', '--data', '/nonexistent/mnist'], 1, /^mge train: MNIST: root must be a directory/],
    [
      ['train', '--device', 'js', '--resume', '/nonexistent/x.safetensors'],
      1,
      /^mge train: checkpoint '\/nonexistent\/x.safetensors' does not exist/,
    ],
    [['eval'], 2, /^mge eval: missing the checkpoint file/],
    [['eval', '/nonexistent/x.safetensors', '--device', 'js'], 1, /does not exist/],
    [['predict', '/nonexistent/x.safetensors'], 2, /^mge predict: give either an image file or --index N/],
    [['predict', 'x', 'y.png', '--index', '3'], 2, /not both/],
    [['predict', 'x', '--index', '-3'], 2, /--index must be a non-negative integer/],
    [['fly'], 2, /^mge: unknown command 'fly'/],
  ];
  for (const [args, code, pattern] of cases) {
    it(`mge ${args.join(' ')}`, async () => {
      const r = await mge(...args);
      expect(r.code).toBe(code);
      expect(r.err).toMatch(pattern);
      expect(noStack(r.err)).toBe(true);
      // the message itself is one line (usage errors add a pointer to --help)
      expect(r.err.trim().split('\n').length).toBeLessThanOrEqual(code === 2 ? 2 : 1);
    });
  }

  it('rejects a file that is not a checkpoint, and a checkpoint of something else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mge-cli-'));
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'hello, this is not safetensors at all');
    let r = await mge('eval', junk, '--device', 'js');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^mge eval: '.*junk.safetensors' is not a valid checkpoint: load: .*header length/);

    const foreign = join(dir, 'foreign.safetensors');
    await save({ 'some.weight': zeros([2, 2]) }, foreign);
    r = await mge('eval', foreign, '--device', 'js');
    expect(r.err).toMatch(/does not say which model it holds/);

    const wrongKeys = join(dir, 'wrong.safetensors');
    await save({ 'conv1.weight': zeros([6, 1, 5, 5]) }, wrongKeys, { metadata: { model: 'lenet', epoch: '1' } });
    r = await mge('eval', wrongKeys, '--device', 'js');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^mge eval: '.*wrong.safetensors' does not fit model 'lenet': loadStateDict: missing keys: classifier.bias, classifier.weight, conv1.bias/,
    );

    const unknownModel = join(dir, 'unknown.safetensors');
    await save({ w: zeros([1]) }, unknownModel, { metadata: { model: 'alexnet' } });
    r = await mge('predict', unknownModel, '--index', '0', '--device', 'js');
    expect(r.err).toMatch(/^mge predict: unknown model 'alexnet'/);
    for (const text of [r.err]) expect(noStack(text)).toBe(true);
  });
});

describe('help', () => {
  it('prints usage for mge --help and each command', async () => {
    const top = await mge('--help');
    expect(top.code).toBe(0);
    for (const c of ['train', 'eval', 'predict', 'summary', 'devices']) expect(top.out).toContain(c);
    const train = await mge('train', '--help');
    expect(train.code).toBe(0);
    expect(train.out).toContain('--batch-size');
    expect((await mge()).code).toBe(2);
  });
});

describe('--data <dir> (IDX files)', () => {
  it('trains, evaluates and predicts from a folder of IDX files, gzipped or not', async () => {
    const { encodeIdxImages, encodeIdxLabels, MNIST } = await import('@mge/data/node');
    const { gzipSync } = await import('node:zlib');
    const dir = mkdtempSync(join(tmpdir(), 'mge-idx-'));
    const split = (train: boolean, n: number) => {
      const ds = new MNIST({ train });
      return { images: ds.images.subarray(0, n * 784), labels: ds.labels.subarray(0, n) };
    };
    const tr = split(true, 256);
    const te = split(false, 100);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdxImages(tr.images, 256, 28, 28)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), encodeIdxLabels(tr.labels));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdxImages(te.images, 100, 28, 28));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(encodeIdxLabels(te.labels)));
    const out = join(dir, 'idx.safetensors');
    const r = await mge('train', '--data', dir, '--epochs', '1', '--device', 'js', '--json', '--out', out);
    expect(r.err).toBe('');
    const start = JSON.parse(r.out.split('\n')[0]);
    expect(start).toMatchObject({ dataSource: dir, trainSize: 256, testSize: 100 });
    const ev = await mge('eval', out, '--data', dir, '--device', 'js', '--json');
    expect(JSON.parse(ev.out)).toMatchObject({ count: 100, data: dir });
    const p = await mge('predict', out, '--data', dir, '--index', '99', '--device', 'js', '--json');
    expect(JSON.parse(p.out).label).toBe(te.labels[99]);

    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), Buffer.from('not gzip at all'));
    const broken = await mge('eval', out, '--data', dir, '--device', 'js');
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/^mge eval: /);
    expect(noStack(broken.err)).toBe(true);
  });
});
