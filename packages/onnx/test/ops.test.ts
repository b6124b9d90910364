import * as core from '@mge/core';
import '@mge/kernels-cpu';
import * as F from '@mge/functional';
import { type NamedTensors, trace } from '@mge/jit';
import { CharGPT, ConvReLU, TwoLayerConv } from '@mge/models-zoo';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOnnx, toOnnxBytes } from '../src/index.js';
import { maxRelError, randomData, runOrt } from './helpers.js';

afterAll(() => core.setDefaultDevice('js'));

/** Traces fn on `inputs`, then checks onnxruntime and loadOnnx (js and cpu) against the eager outputs. */
async function checkTraced(fn: (...xs: core.Tensor[]) => core.Tensor, inputs: core.Tensor[], names?: NamedTensors) {
  const traced = trace(fn);
  traced(...inputs);
  const want = await fn(...inputs).data();
  const bytes = await toOnnxBytes(traced, { names });
  const [ort] = await runOrt(bytes, inputs);
  expect(maxRelError(ort, want)).toBeLessThan(1e-5);
  const model = loadOnnx(bytes);
  for (const device of ['js', 'cpu']) {
    const [y] = model.run(
      inputs.map((x) => x.to(device)),
      { device },
    );
    expect(maxRelError(await y.data(), want)).toBeLessThan(1e-5);
  }
  return bytes;
}

const rand = (shape: number[], seed: number) =>
  core
    .tensor(
      randomData(
        shape.reduce((a, b) => a * b, 1),
        seed,
      ),
    )
    .reshape(shape);

describe('traced functional operators through ONNX', () => {
  it('activations: relu6, sigmoid, tanh, gelu, hardswish, leakyRelu, softplus, silu', async () => {
    core.setDefaultDevice('cpu');
    const x = core.mul(rand([3, 8], 1), 8);
    await checkTraced(
      (t) => core.concat([F.relu6(t), F.sigmoid(t), F.tanh(t), F.gelu(t), F.hswish(t), F.leakyRelu(t, 0.1), F.softplus(t), F.silu(t)], 1),
      [x],
    );
  });

  it('softmax, logSoftmax, layerNorm, mean and sum reductions, max, argmax as float', async () => {
    core.setDefaultDevice('cpu');
    const x = rand([2, 3, 6], 2);
    const w = rand([6], 3);
    const b = rand([6], 4);
    await checkTraced(
      (t) => {
        const parts = [
          F.softmax(t, -1),
          F.logSoftmax(t, 1).reshape([2, 3, 6]),
          F.layerNorm(t, 6, { weight: w, bias: b }),
          core.broadcastTo(core.mean(t, 2, true), [2, 3, 6]),
          core.broadcastTo(core.sum(t, [1, 2], true), [2, 3, 6]),
          core.broadcastTo(core.max(t, 1, true), [2, 3, 6]),
          core.broadcastTo(core.astype(core.argmax(t, 2, true), 'float32'), [2, 3, 6]),
        ];
        return core.concat(parts, 2);
      },
      [x],
    );
  });

  it('crossEntropy over the last axis with int32 labels (softmaxCrossEntropy)', async () => {
    core.setDefaultDevice('cpu');
    const x = core.mul(rand([5, 7], 11), 4);
    const labels = core.tensor([0, 6, 3, 2, 6], { dtype: 'int32' });
    await checkTraced((t, l) => F.crossEntropy(t, l, { reduction: 'none' }), [x, labels]);
  });

  it('conv with groups, stride, dilation; batchNorm inference; avg, max and adaptive pools; pad; flip', async () => {
    core.setDefaultDevice('cpu');
    const x = rand([2, 4, 11, 11], 5);
    const w = rand([8, 2, 3, 3], 6);
    const bn = [rand([8], 7), core.add(core.abs(rand([8], 8)), 0.5), rand([8], 9), rand([8], 10)];
    await checkTraced(
      (t) => {
        let y = F.conv2d(t, w, null, { stride: 2, padding: 2, dilation: 2, groups: 2 });
        y = F.batchNorm(y, bn[0], bn[1], bn[2], bn[3], { training: false });
        const a = F.avgPool2d(y, 3, 1, 1);
        const m = F.maxPool2d(y, 2, 1, 0);
        const g = F.adaptiveAvgPool2d(y, 2);
        const p = core.pad(m, [
          [0, 0],
          [0, 0],
          [1, 0],
          [0, 1],
        ]);
        return core.concat([core.flatten(a, 1), core.flatten(core.flip(p, 3), 1), core.flatten(g, 1)], 1);
      },
      [x],
    );
  });

  it('transposed convolution (stride, padding, output padding, groups, dilation, bias)', async () => {
    core.setDefaultDevice('cpu');
    const x = rand([2, 4, 5, 5], 21);
    const w = rand([4, 3, 3, 3], 22); // (in, out / groups, kh, kw)
    const bias = rand([6], 23);
    await checkTraced(
      (t) =>
        core.concat(
          [
            core.flatten(F.convTranspose2d(t, w, bias, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }), 1),
            core.flatten(F.convTranspose2d(t, w, null, { stride: 1, padding: 0, dilation: 2, groups: 2 }), 1),
          ],
          1,
        ),
      [x],
    );
  });

  it('batched matmul, transpose, where, comparisons, integer inputs', async () => {
    core.setDefaultDevice('cpu');
    const a = rand([2, 3, 4], 11);
    const b = rand([2, 5, 4], 12);
    const c = rand([4, 5], 13);
    const k = core.tensor([1, 6, 0, 3, 3, 2, 5, 4, 1, 0], { dtype: 'int32' }).reshape([2, 1, 5]);
    await checkTraced(
      (x, y, i) => {
        const m = core.matmul(x, y, false, true); // [2, 3, 5]
        const e = core.matmul(x, c); // [2, 3, 5], one shared matrix
        const f = core.astype(core.maximum(core.mul(i, 2), 3), 'float32');
        return core.where(core.logicalOr(core.gt(m, e), core.eq(f, 6)), core.sub(m, f), core.mul(core.div(e, 2), core.exp(m)));
      },
      [a, b, k],
    );
  });
});

describe('the remaining zoo models through ONNX', () => {
  it.each([
    ['ConvReLU', () => new ConvReLU(3, 8), [2, 3, 8, 8]],
    ['TwoLayerConv', () => new TwoLayerConv(), [1, 3, 16, 16]],
  ] as const)('%s', async (_n, create, shape) => {
    core.setDefaultDevice('cpu');
    core.random.seed(2);
    const model = create();
    model.eval();
    await checkTraced((x) => model(x) as core.Tensor, [rand([...shape], 14)], model);
  });

  it('CharGPT (embeddings, causal attention, LayerNorm, GELU)', async () => {
    core.setDefaultDevice('cpu');
    core.random.seed(3);
    const model = new CharGPT({ vocabSize: 12, blockSize: 8, dim: 16, numHeads: 2, numLayers: 1 });
    model.eval();
    const ids = core.tensor([1, 5, 3, 11, 0, 2, 7, 7, 4, 9, 10, 6], { dtype: 'int32' }).reshape([2, 6]);
    await checkTraced((x) => model(x) as core.Tensor, [ids], model);
  });
});
