import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@mge/core';
import '@mge/kernels-cpu';
import { type TraceOptions, trace } from '@mge/jit';
import { LeNet, MobileNetV2, resnet18, resnet50, ShuffleNetV2 } from '@mge/models-zoo';
import type { Module } from '@mge/module';
import { afterAll, describe, expect, it } from 'vitest';
import { dump, loadOnnx, toOnnxBytes } from '../src/index.js';
import { maxRelError, randomData, runOrt } from './helpers.js';

afterAll(() => core.setDefaultDevice('js'));

/** The model traced for inference on `device`, its eager output for `x`, and its ONNX bytes. */
async function traced(create: () => Module, shape: number[], device: string, options: TraceOptions = {}) {
  core.setDefaultDevice(device);
  const model = create();
  model.eval();
  const x = core
    .tensor(
      randomData(
        shape.reduce((a, b) => a * b, 1),
        3,
      ),
      { device },
    )
    .reshape(shape);
  const infer = trace((t: core.Tensor) => model(t) as core.Tensor, options);
  const got = await infer(x).data();
  const want = await (model(x) as core.Tensor).data();
  const bytes = await toOnnxBytes(infer, { names: model });
  return { model, x, infer, want, got, bytes };
}

describe('dump: onnxruntime-node runs our traced models with our outputs', () => {
  const cases: [string, () => Module, number[]][] = [
    ['LeNet', () => new LeNet(), [2, 1, 32, 32]],
    ['resnet18', () => resnet18({ numClasses: 10 }), [1, 3, 32, 32]],
    ['resnet50 (width 16)', () => resnet50({ numClasses: 10, width: 16 }), [1, 3, 32, 32]],
    ['mobilenetv2', () => new MobileNetV2({ numClasses: 10 }), [1, 3, 32, 32]],
    ['shufflenetv2', () => new ShuffleNetV2({ modelSize: '0.5x', numClasses: 10 }), [1, 3, 32, 32]],
  ];
  it.each(cases)('%s', async (_name, create, shape) => {
    core.random.seed(5);
    const { x, want, got, bytes } = await traced(create, shape, 'cpu');
    expect(maxRelError(got, want)).toBeLessThan(1e-5);
    const [ort] = await runOrt(bytes, [x]);
    expect(maxRelError(ort, want)).toBeLessThan(1e-5);
  });
});

describe('dump of a trace optimized for inference (constants folded, BatchNorm in the convolution, symbolic)', () => {
  it.each([
    ['LeNet', () => new LeNet(), [2, 1, 32, 32]],
    ['mobilenetv2', () => new MobileNetV2({ numClasses: 10 }), [1, 3, 32, 32]],
  ] as [string, () => Module, number[]][])('%s', async (_name, create, shape) => {
    core.random.seed(9);
    const options = { captureAsConst: true, optimizeForInference: true, symbolic: true };
    const { x, want, got, bytes } = await traced(create, shape, 'cpu', options);
    expect(maxRelError(got, want)).toBeLessThan(1e-5);
    const [ort] = await runOrt(bytes, [x]);
    expect(maxRelError(ort, want)).toBeLessThan(1e-5);
  });
});

describe('round trip: ours → ONNX → loadOnnx', () => {
  it.each(['js', 'cpu'])('LeNet on %s', async (device) => {
    core.random.seed(6);
    const { x, want, bytes } = await traced(() => new LeNet(), [2, 1, 32, 32], device);
    const loaded = loadOnnx(bytes);
    expect(loaded.inputNames).toEqual(['input0']);
    const names = loaded.graph.values.filter((v) => v.kind === 'const' && v.name).map((v) => v.name);
    expect(names).toContain('conv1.weight');
    const [y] = loaded.run([x], { device });
    expect(y.device).toBe(device);
    expect(maxRelError(await y.data(), want)).toBeLessThan(1e-5);
  });

  it('shufflenetv2 (channel shuffle, split, concat) on cpu', async () => {
    core.random.seed(7);
    const { x, want, bytes } = await traced(() => new ShuffleNetV2({ modelSize: '0.5x', numClasses: 10 }), [1, 3, 32, 32], 'cpu');
    const [y] = loadOnnx(bytes).run([x], { device: 'cpu' });
    expect(maxRelError(await y.data(), want)).toBeLessThan(1e-5);
  });
});

describe('dump(file)', () => {
  it('writes the model atomically, leaving no temporary file', async () => {
    core.random.seed(8);
    const { model, x, infer, want } = await traced(() => new LeNet(), [1, 1, 32, 32], 'js');
    const dir = mkdtempSync(join(tmpdir(), 'mge-onnx-'));
    const file = join(dir, 'lenet.onnx');
    await dump(infer, file, { names: model });
    expect(readdirSync(dir)).toEqual(['lenet.onnx']);
    const [y] = await runOrt(new Uint8Array(readFileSync(file)), [x]);
    expect(maxRelError(y, want)).toBeLessThan(1e-5);
  });

  it("traced.dump(file), MegEngine's form: registered by importing this package", async () => {
    core.random.seed(8);
    const { model, x, infer, want } = await traced(() => new LeNet(), [1, 1, 32, 32], 'js');
    const dir = mkdtempSync(join(tmpdir(), 'mge-onnx-'));
    const file = join(dir, 'lenet.onnx');
    await infer.dump(file, { names: model });
    const bytes = new Uint8Array(readFileSync(file));
    expect(loadOnnx(bytes).graph.values.some((v) => v.name === 'conv1.weight')).toBe(true);
    const [y] = await runOrt(bytes, [x]);
    expect(maxRelError(y, want)).toBeLessThan(1e-5);
    await expect(trace((t: core.Tensor) => t).dump(join(dir, 'never.onnx'))).rejects.toThrow(
      /graph\(\) needs one call of the traced function first/,
    );
  });

  it('refuses what is not a traced function', async () => {
    await expect(dump((() => 1) as never, 'x.onnx')).rejects.toThrow(/argument 'traced' must be a traced function/);
    await expect(dump({ graph: async () => ({}) } as never, '')).rejects.toThrow(/argument 'file' must be a non-empty path/);
  });
});
