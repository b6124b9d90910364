// Single-node ONNX models for the reader's padding, ceil_mode and recurrent mappings, in the
// variants PyTorch does not export (SAME_UPPER/LOWER, reverse, layout 1), checked against
// onnxruntime-node; and the reader's errors for what it does not map.
import * as core from '@mge/core';
import '@mge/kernels-cpu';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { attribute, onnx, type TensorProto, tensorProto } from '../src/proto.js';
import { maxRelError, randomData, runOrt } from './helpers.js';

type Attrs = Record<string, number | string | number[] | string[]>;

const attr = (k: string, v: Attrs[string]) =>
  Array.isArray(v) && typeof v[0] === 'string'
    ? { name: k, type: onnx.AttributeProto.AttributeType.STRINGS, strings: (v as string[]).map((x) => new TextEncoder().encode(x)) }
    : attribute(k, v as number | string | number[]);

/** A model of one node: input 'x' of `shape`, the named initializers, and `outputs` outputs. */
function oneNode(op: string, shape: number[], inits: TensorProto[], inputs: string[], attrs: Attrs, outputs = 1, opset = 17): Uint8Array {
  const F = onnx.TensorProto.DataType.FLOAT;
  const info = (name: string, dims?: number[]) => ({
    name,
    type: { tensorType: { elemType: F, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } },
  });
  const outs = Array.from({ length: outputs }, (_, i) => `y${i}`);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [
        { opType: op, name: 'n', input: ['x', ...inputs], output: outs, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) },
      ],
      initializer: inits,
      input: [info('x', shape)],
      output: outs.map((o) => info(o)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

const weights = (name: string, dims: number[], seed: number) =>
  tensorProto(
    name,
    dims,
    'float32',
    randomData(
      dims.reduce((a, b) => a * b, 1),
      seed,
    ),
  );

async function matchesOrt(bytes: Uint8Array, shape: number[], count = 1): Promise<void> {
  const x = core
    .tensor(
      randomData(
        shape.reduce((a, b) => a * b, 1),
        7,
      ),
    )
    .reshape(shape);
  const want = await runOrt(bytes, [x]);
  const model = loadOnnx(bytes);
  for (const device of ['js', 'cpu']) {
    const ys = model.run([x.to(device)], { device });
    expect(ys.length).toBe(count);
    for (let i = 0; i < count; i++) expect(maxRelError(await ys[i].data(), want[i]), `${device} output ${i}`).toBeLessThan(1e-5);
  }
}

describe('loadOnnx pads and ceil_mode against onnxruntime', () => {
  it.each(['SAME_UPPER', 'SAME_LOWER'])('Conv with auto_pad %s (uneven)', async (auto) => {
    const bytes = oneNode('Conv', [1, 2, 6, 7], [weights('w', [3, 2, 2, 3], 1)], ['w'], { auto_pad: auto, strides: [2, 2] });
    await matchesOrt(bytes, [1, 2, 6, 7]);
  });
  it('ConvTranspose with asymmetric pads', async () => {
    const bytes = oneNode('ConvTranspose', [1, 2, 4, 3], [weights('w', [2, 3, 3, 2], 11)], ['w'], {
      strides: [2, 2],
      pads: [1, 0, 0, 1],
      output_padding: [1, 0],
    });
    await matchesOrt(bytes, [1, 2, 4, 3]);
  });
  it('MaxPool and AveragePool with asymmetric pads', async () => {
    await matchesOrt(oneNode('MaxPool', [2, 1, 5, 6], [], [], { kernel_shape: [3, 2], pads: [0, 1, 2, 0], strides: [2, 1] }), [2, 1, 5, 6]);
    await matchesOrt(
      oneNode('AveragePool', [2, 1, 5, 6], [], [], { kernel_shape: [3, 2], pads: [0, 1, 2, 0], strides: [2, 1] }),
      [2, 1, 5, 6],
    );
    await matchesOrt(
      oneNode('AveragePool', [1, 2, 5, 4], [], [], { kernel_shape: [2, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }),
      [1, 2, 5, 4],
    );
  });
  it('Pad with the axes input (opset 18) in edge and reflect modes', async () => {
    const inits = [tensorProto('p', [4], 'int64', [1, 2, 0, 3]), tensorProto('a', [2], 'int64', [1, 3])];
    await matchesOrt(oneNode('Pad', [1, 2, 3, 4], inits, ['p', '', 'a'], { mode: 'edge' }, 1, 18), [1, 2, 3, 4]);
    await matchesOrt(oneNode('Pad', [1, 2, 3, 4], inits, ['p', '', 'a'], { mode: 'reflect' }, 1, 18), [1, 2, 3, 4]);
  });
});

describe('loadOnnx LSTM, GRU and RNN against onnxruntime', () => {
  const T = 3;
  const N = 2;
  const I = 4;
  const H = 3;
  it('LSTM reverse with initial states; layout 1 gives the same, batch first', async () => {
    const lstm = (layout: number) =>
      oneNode(
        'LSTM',
        layout ? [N, T, I] : [T, N, I],
        [
          weights('W', [1, 4 * H, I], 1),
          weights('R', [1, 4 * H, H], 2),
          weights('B', [1, 8 * H], 3),
          weights('h', layout ? [N, 1, H] : [1, N, H], 4),
          weights('c', layout ? [N, 1, H] : [1, N, H], 5),
        ],
        ['W', 'R', 'B', '', 'h', 'c'],
        { hidden_size: H, direction: 'reverse', layout },
        3,
      );
    await matchesOrt(lstm(0), [T, N, I], 3);
    // onnxruntime has no layout 1: it must equal layout 0 on the transposed input and states
    const x = core.tensor(randomData(T * N * I, 7)).reshape([T, N, I]);
    const [y0, h0, c0] = loadOnnx(lstm(0)).run([x]);
    const [y1, h1, c1] = loadOnnx(lstm(1)).run([x.transpose([1, 0, 2])]);
    expect(y1.shape).toEqual([N, T, 1, H]);
    expect([h1.shape, c1.shape]).toEqual([
      [N, 1, H],
      [N, 1, H],
    ]);
    // with one direction, (1, N, H) and (N, 1, H) hold the same numbers in the same order
    expect(maxRelError(await y1.data(), await y0.transpose([2, 0, 1, 3]).data())).toBeLessThan(1e-6);
    expect(maxRelError(await h1.data(), await h0.data())).toBeLessThan(1e-6);
    expect(maxRelError(await c1.data(), await c0.data())).toBeLessThan(1e-6);
  });
  it('LSTM with peepholes, bidirectional; GRU with linear_before_reset=0 (the default)', async () => {
    const lstm = oneNode(
      'LSTM',
      [T, N, I],
      [weights('W', [2, 4 * H, I], 12), weights('R', [2, 4 * H, H], 13), weights('B', [2, 8 * H], 14), weights('P', [2, 3 * H], 15)],
      ['W', 'R', 'B', '', '', '', 'P'],
      { hidden_size: H, direction: 'bidirectional' },
      3,
    );
    await matchesOrt(lstm, [T, N, I], 3);
    const gru = oneNode(
      'GRU',
      [T, N, I],
      [weights('W', [1, 3 * H, I], 16), weights('R', [1, 3 * H, H], 17), weights('B', [1, 6 * H], 18)],
      ['W', 'R', 'B'],
      { hidden_size: H },
      2,
    );
    await matchesOrt(gru, [T, N, I], 2);
  });
  it('GRU bidirectional without bias; RNN relu', async () => {
    const gru = oneNode(
      'GRU',
      [T, N, I],
      [weights('W', [2, 3 * H, I], 6), weights('R', [2, 3 * H, H], 7)],
      ['W', 'R'],
      { hidden_size: H, direction: 'bidirectional', linear_before_reset: 1 },
      2,
    );
    await matchesOrt(gru, [T, N, I], 2);
    const rnn = oneNode(
      'RNN',
      [T, N, I],
      [weights('W', [1, H, I], 8), weights('R', [1, H, H], 9), weights('B', [1, 2 * H], 10)],
      ['W', 'R', 'B'],
      { hidden_size: H, activations: ['Relu'] },
      2,
    );
    await matchesOrt(rnn, [T, N, I], 2);
  });
});

describe('loadOnnx errors for unmapped variants', () => {
  const lstm = (attrs: Attrs, extra: string[] = []) =>
    oneNode('LSTM', [2, 1, 2], [weights('W', [1, 8, 2], 1), weights('R', [1, 8, 2], 2)], ['W', 'R', ...extra], {
      hidden_size: 2,
      ...attrs,
    });
  it('names the node, the attribute and what it got', () => {
    expect(() => loadOnnx(lstm({ clip: 3 }))).toThrow(/loadOnnx: LSTM \(node 'n'\): attribute 'clip' is not supported/);
    expect(() => loadOnnx(lstm({ direction: 'sideways' }))).toThrow(
      /attribute 'direction' must be forward, reverse or bidirectional, got 'sideways'/,
    );
    expect(() => loadOnnx(oneNode('Pad', [1, 3], [tensorProto('p', [4], 'int64', [0, 1, 0, 1])], ['p'], { mode: 'wrap' }))).toThrow(
      /loadOnnx: Pad \(node 'n'\): mode 'wrap' is not supported \(constant, reflect and edge are\)/,
    );
    expect(() => loadOnnx(lstm({ input_forget: 1 }))).toThrow(/input_forget=1 is not supported/);
    expect(() => loadOnnx(oneNode('MaxPool', [1, 1, 4, 4], [], [], { kernel_shape: [2, 2], pads: [1, -1, 0, 0] }))).toThrow(
      /attribute 'pads' must be 4 non-negative integers \[top, left, bottom, right\] for a 2-d operator, got \[1, -1, 0, 0\]/,
    );
  });
});
