import * as core from '@mge/core';
import { describe, expect, it } from 'vitest';
import { loadOnnx, toOnnx } from '../src/index.js';
import { GraphBuilder, maxRelError, randomData, runOrt } from './helpers.js';

core.setDefaultDevice('js');

/** One strided node in ONNX against core's own view of the same tensor. */
async function checkView(
  inShape: number[],
  view: (x: core.Tensor) => core.Tensor,
  spec: { outShape: number[]; strides: number[]; offset: number },
) {
  const size = inShape.reduce((a, b) => a * b, 1);
  const x = core.tensor(randomData(size, size), { dtype: 'float32' }).reshape(inShape);
  const want = await view(x).data();
  const g = new GraphBuilder();
  const i = g.input(inShape);
  const o = g.op('index', [i], spec.outShape, spec, 'float32', 'strided');
  const [got] = await runOrt(toOnnx(g.graph([o])), [x]);
  expect(Array.from(got)).toEqual(Array.from(want));
}

describe('strided views', () => {
  it('transpose', () => checkView([2, 3, 4], (x) => core.transpose(x, [2, 0, 1]), { outShape: [4, 2, 3], strides: [1, 12, 4], offset: 0 }));
  it('slice whose window runs past the end', () =>
    checkView([3, 4], (x) => core.index(x, '1:', '1:3'), { outShape: [2, 2], strides: [4, 1], offset: 5 }));
  it('stepped slice and integer index', () =>
    checkView([4, 5, 6], (x) => core.index(x, 1, '::2', '1:6:2'), { outShape: [3, 3], strides: [12, 2], offset: 31 }));
  it('flip', () => checkView([3, 4], (x) => core.flip(x, 1), { outShape: [3, 4], strides: [4, -1], offset: 3 }));
  it('broadcast with a new axis', () =>
    checkView([3, 1], (x) => core.broadcastTo(x, [2, 3, 5]), { outShape: [2, 3, 5], strides: [0, 1, 0], offset: 0 }));
  it('channel shuffle (reshape, transpose)', () =>
    checkView([1, 2, 3, 2], (x) => core.transpose(x, [0, 2, 1, 3]), { outShape: [1, 3, 2, 2], strides: [12, 2, 6, 1], offset: 0 }));
  it('overlapping windows fall back to Gather', () =>
    checkView([6], (x) => core.stack([core.index(x, '0:3'), core.index(x, '1:4'), core.index(x, '2:5')]), {
      outShape: [3, 3],
      strides: [1, 1],
      offset: 0,
    }));
  it('identity', () => checkView([2, 3], (x) => x, { outShape: [2, 3], strides: [3, 1], offset: 0 }));
});

describe('toOnnx', () => {
  it('conv + relu + pool + linear runs in onnxruntime with our outputs', async () => {
    const g = new GraphBuilder();
    const x = core.tensor(randomData(2 * 3 * 8 * 8, 7)).reshape([2, 3, 8, 8]);
    const w = core.tensor(randomData(4 * 3 * 3 * 3, 8)).reshape([4, 3, 3, 3]);
    const bias = core.tensor(randomData(4, 9));
    const fw = core.tensor(randomData(5 * 64, 10)).reshape([5, 64]);
    const fb = core.tensor(randomData(5, 11));
    const xi = g.input([2, 3, 8, 8]);
    const wi = g.param('conv.weight', [4, 3, 3, 3], (await w.data()) as Float32Array);
    const bi = g.param('conv.bias', [4], (await bias.data()) as Float32Array);
    const p = { n: 2, c: 3, h: 8, w: 8, o: 4, kh: 3, kw: 3, oh: 8, ow: 8, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, groups: 1 };
    const c = g.op('conv2d', [xi, wi, bi], [2, 4, 8, 8], { p, activation: 'relu' }, 'float32', 'conv2d');
    const pp = { n: 2, c: 4, h: 8, w: 8, kh: 2, kw: 2, oh: 4, ow: 4, sh: 2, sw: 2, ph: 0, pw: 0 };
    const m = g.op('maxPool2d', [c], [2, 4, 4, 4], { p: pp }, 'float32', 'pool2d');
    const f = g.op('reshape', [m], [2, 64], { shape: [2, 64] });
    const fwi = g.param('fc.weight', [5, 64], (await fw.data()) as Float32Array);
    const fbi = g.param('fc.bias', [5], (await fb.data()) as Float32Array);
    const mp = { batch: 1, m: 2, n: 5, k: 64, transA: false, transB: true, batchA: 1, batchB: 1 };
    const y = g.op('linear', [f, fwi, fbi], [2, 5], { p: mp }, 'float32', 'matmul');
    const s = g.op('sigmoid', [y], [2, 5], {}, 'float32', 'unary');
    const [got] = await runOrt(toOnnx(g.graph([s])), [x]);
    const ref = core.sigmoid(core.add(core.matmul(core.reshape(pool(core.relu(conv(x, w, bias))), [2, 64]), fw, false, true), fb));
    expect(maxRelError(got, await ref.data())).toBeLessThan(1e-5);
  });

  it('names an operator it cannot write', () => {
    const g = new GraphBuilder();
    const x = g.input([2, 2]);
    const y = g.op('conv2d backward', [x, x], [2, 2], {}, 'float32', 'conv2dBackwardInput');
    expect(() => toOnnx(g.graph([y]))).toThrow(/operator 'conv2d backward' \(kernel 'conv2dBackwardInput'\) has no ONNX mapping/);
  });

  it('refuses a graph with in-place updates (a training step)', () => {
    const g = new GraphBuilder();
    const x = g.input([2]);
    const y = g.op('relu', [x], [2], {}, 'float32', 'unary');
    expect(() => toOnnx({ ...g.graph([y]), updates: [{ target: x, value: y }] } as never)).toThrow(/updates 1 value\(s\) in place/);
  });

  it('rejects a value without data', () => {
    const g = new GraphBuilder();
    const x = g.input([2]);
    const w = g.values.length;
    g.values.push({ id: w, shape: [2], dtype: 'float32', kind: 'param', name: 'w' });
    const y = g.op('add', [x, w], [2], { outShape: [2] }, 'float32', 'binary');
    expect(() => toOnnx(g.graph([y]))).toThrow(/param value 1 \('w'\) carries no data/);
  });
});

function conv(x: core.Tensor, w: core.Tensor, b: core.Tensor) {
  return core.add(core.conv2dPrimitive(x, w, { padding: 1 }), core.reshape(b, [1, 4, 1, 1]));
}
function pool(x: core.Tensor) {
  return core.pool2dPrimitive('max', x, 2);
}

describe('toOnnx: indexing', () => {
  it('gather (GatherElements) with int32 indices', async () => {
    const x = core.tensor(randomData(12, 3)).reshape([3, 4]);
    const idx = core.tensor([2, 0, 1, 1, 0, 0, 2, 2], { dtype: 'int32' }).reshape([2, 4]);
    const want = await core.gather(x, 0, idx).data();
    const g = new GraphBuilder();
    const xi = g.input([3, 4]);
    const ii = g.input([2, 4], 'int32');
    const o = g.op('gather', [xi, ii], [2, 4], { axis: 0 }, 'float32', 'gather');
    const [got] = await runOrt(toOnnx(g.graph([o])), [x, idx]);
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});

describe('toOnnx: outputs', () => {
  it('several outputs, one of them an input and one repeated, with the names asked for', async () => {
    const x = core.tensor(randomData(6, 9)).reshape([2, 3]);
    const g = new GraphBuilder();
    const xi = g.input([2, 3]);
    const y = g.op('exp', [xi], [2, 3], {}, 'float32', 'unary');
    const bytes = toOnnx(g.graph([y, xi, y]), { inputNames: ['x'], outputNames: ['e', 'same', 'again'] });
    const [e, same, again] = await runOrt(bytes, [x]);
    const want = await core.exp(x).data();
    expect(maxRelError(e, want)).toBeLessThan(1e-6);
    expect(Array.from(same)).toEqual(Array.from(await x.data()));
    expect(Array.from(again)).toEqual(Array.from(e));
    const model = loadOnnx(bytes);
    expect(model.inputNames).toEqual(['x']);
    expect(model.outputNames).toEqual(['e', 'same', 'again']);
    expect(() => toOnnx(g.graph([y]), { outputNames: ['a', 'b'] })).toThrow(/option 'outputNames' must be 1 non-empty strings/);
  });
});
