import { GradManager, Parameter, random, type Tensor, tensor, zeros } from '@mge/core';
import * as F from '@mge/functional';
import { describe, expect, it } from 'vitest';
import * as M from '../src/index.js';

const shapes = (m: M.AnyModule) => Object.fromEntries([...m.stateDict()].map(([k, v]) => [k, [...v.shape]]));

describe('layer catalogue: names, parameter shapes, initialisation', () => {
  it("RNN/LSTM/GRU: MegEngine's layout (flattenWeights + cells), U(-1/√H, 1/√H)", () => {
    random.seed(1);
    const lstm = new M.LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const cell = (i: number) => ({ biasHh: [16], biasIh: [16], weightHh: [16, 4], weightIh: [16, i] });
    const want: Record<string, number[]> = {
      // columns: layer 0 2·(3 + 4 + 2), layer 1 2·(8 + 4 + 2)
      flattenWeights: [16, 46],
    };
    for (const [k, i] of [
      ['0.0', 3],
      ['0.1', 3],
      ['1.0', 8],
      ['1.1', 8],
    ] as const)
      for (const [name, shape] of Object.entries(cell(i))) want[`cells.${k}.${name}`] = shape;
    expect(shapes(lstm)).toEqual(want);
    // own tensors first, then sub-modules: MegEngine's state_dict order
    expect([...lstm.stateDict().keys()]).toEqual([
      'flattenWeights',
      'cells.0.0.biasHh',
      'cells.0.0.biasIh',
      'cells.0.0.weightHh',
      'cells.0.0.weightIh',
      'cells.0.1.biasHh',
      'cells.0.1.biasIh',
      'cells.0.1.weightHh',
      'cells.0.1.weightIh',
      'cells.1.0.biasHh',
      'cells.1.0.biasIh',
      'cells.1.0.weightHh',
      'cells.1.0.weightIh',
      'cells.1.1.biasHh',
      'cells.1.1.biasIh',
      'cells.1.1.weightHh',
      'cells.1.1.weightIh',
    ]);
    for (const p of lstm.parameters()) for (const v of p.dataSync()) expect(Math.abs(v)).toBeLessThanOrEqual(0.5);
    // without bias MegEngine's cells keep zero buffers and the packing has no bias columns
    const gru = new M.GRU(2, 3, { bias: false });
    expect(shapes(gru)).toEqual({
      'cells.0.0.biasHh': [9],
      'cells.0.0.biasIh': [9],
      'cells.0.0.weightHh': [9, 3],
      'cells.0.0.weightIh': [9, 2],
      flattenWeights: [9, 5],
    });
    expect([...gru.namedParameters()].map(([k]) => k)).toEqual(['cells.0.0.weightHh', 'cells.0.0.weightIh', 'flattenWeights']);
    expect([...gru.cells[0][0].namedBuffers()].map(([k]) => k)).toEqual(['biasHh', 'biasIh']);
    expect(shapes(new M.RNN(5, 2, { nonlinearity: 'relu' }))).toEqual({
      'cells.0.0.biasHh': [2],
      'cells.0.0.biasIh': [2],
      'cells.0.0.weightHh': [2, 2],
      'cells.0.0.weightIh': [2, 5],
      flattenWeights: [2, 9],
    });
    expect(shapes(new M.GRUCell(2, 3))).toEqual({ biasHh: [9], biasIh: [9], weightHh: [9, 3], weightIh: [9, 2] });
    expect(shapes(new M.RNNCell(2, 3, { bias: false }))).toEqual({ biasHh: [3], biasIh: [3], weightHh: [3, 3], weightIh: [3, 2] });
    expect(new M.RNNCell(2, 3, { bias: false }).numParameters()).toBe(15);
  });

  it('RNN forward reads flattenWeights in megdnn packing order (W_ih, W_hh, b_ih, b_hh per cell)', () => {
    const rnn = new M.RNN(2, 1, { bidirectional: true });
    // forward cell: w_ih [1, 2], w_hh [0.5], b_ih 0.25, b_hh -0.25; reverse cell: all zeros but b_ih 3
    rnn.flattenWeights.setValue(tensor([[1, 2, 0.5, 0.25, -0.25, 0, 0, 0, 3, 0]]));
    const x = tensor([[[1, 0]], [[0, 1]]]);
    const [out] = rnn(x);
    const h1 = Math.tanh(1);
    const h2 = Math.tanh(2 + 0.5 * h1);
    const r = Math.tanh(3);
    const got = [...out.dataSync()];
    const want = [h1, r, h2, r];
    for (let i = 0; i < 4; i++) expect(got[i]).toBeCloseTo(want[i], 6);
  });

  it("MultiHeadAttention: MegEngine's one ioWeightBias (Wq, Wk, Wv, Wo, then zero biases), kdim/vdim", () => {
    random.seed(3);
    const mha = new M.MultiHeadAttention(8, 2);
    expect(shapes(mha)).toEqual({ ioWeightBias: [1, 4 * 8 * 8 + 4 * 8] });
    const data = mha.ioWeightBias.dataSync();
    expect([...data.subarray(256)].every((v) => v === 0)).toBe(true);
    const bound = Math.sqrt(6 / (288 + 1));
    expect([...data.subarray(0, 256)].every((v) => Math.abs(v) <= bound && v !== 0)).toBe(true);
    expect(String(mha)).toBe('MultiHeadAttention(embed_dim=8, num_heads=2, attn_dropout=0, out_dropout=0, bias=True, kdim=8, vdim=8)');
    const kv = new M.MultiHeadAttention(6, 3, { kdim: 4, vdim: 5, bias: false });
    expect(shapes(kv)).toEqual({ ioWeightBias: [1, (6 + 4 + 5 + 6) * 6] });
    const [out, w] = kv(zeros([2, 3, 6]), zeros([2, 7, 4]), zeros([2, 7, 5]), { needWeights: true });
    expect(out.shape).toEqual([2, 3, 6]);
    expect(w?.shape).toEqual([2, 3, 3, 7]);
    expect(kv(zeros([2, 3, 6]), zeros([2, 7, 4]), zeros([2, 7, 5]))[1]).toBeNull();
    expect(() => new M.MultiHeadAttention(6, 4)).toThrow(/MultiHeadAttention: argument 'numHeads' \(4\) must divide 'embedDim' \(6\)/);
    expect(() => new M.MultiHeadAttention(6, 3, { addBiasKv: true })).toThrow(
      /MultiHeadAttention: argument 'addBiasKv' must be false \(MegEngine does not support it\), got true/,
    );
    expect(() => kv(zeros([2, 3, 6]), zeros([2, 7, 6]), zeros([2, 7, 5]))).toThrow(
      /multiHeadAttention: argument 'ioWeightBias' must hold 138 values for embedDim 6, kdim 6, vdim 5 \(qproj 6, kproj 6, vproj 6, oproj 6\), got \(1, 126\)/,
    );
  });

  it("F.multiHeadAttention: MegEngine's per-projection sizes and bias flags (layout, errors)", () => {
    const layout = F.multiHeadAttentionLayout(6, 4, 5, 2, { vprojSize: 0, oprojSize: 3, qbias: true, obias: true });
    expect(layout.weights).toEqual({ q: [6, 6], k: [4, 6], v: null, o: [10, 3] });
    expect(layout.biases).toEqual({ q: [6], k: null, v: null, o: [3] });
    expect(layout.length).toBe(36 + 24 + 30 + 6 + 3);
    // MegEngine's defaults: every projection embedDim wide, no biases
    expect(F.multiHeadAttentionLayout(4, 4, 4, 2).length).toBe(64);
    const q = zeros([1, 2, 4]);
    const [out, w] = F.multiHeadAttention(q, zeros([1, 3, 4]), zeros([1, 3, 3]), 4, 2, 0, 0, null, {
      qprojSize: 0,
      kprojSize: 0,
      vprojSize: 0,
      oprojSize: 0,
      needWeights: true,
    });
    expect([out.shape, w?.shape]).toEqual([
      [1, 2, 6],
      [1, 2, 2, 3],
    ]);
    expect(() => F.multiHeadAttention(q, q, q, 4, 2, 0, 0, null, { qprojSize: 0, qbias: true })).toThrow(
      /multiHeadAttention: option 'qbias' needs a q projection, but 'qprojSize' is 0/,
    );
    expect(() => F.multiHeadAttention(q, q, q, 4, 2, 0, 0, null, { kprojSize: 3 })).toThrow(
      /multiHeadAttention: option 'kprojSize' must be a multiple of numHeads 2 \(or 0\), got 3/,
    );
    expect(() => F.multiHeadAttention(q, q, q, 4, 2, 0, 0, null, { kprojSize: 6 })).toThrow(
      /multiHeadAttention: query and key must have one feature size per head, got 2 \(qprojSize 4\) and 3 \(kprojSize 6, kdim 4\)/,
    );
    expect(() => F.multiHeadAttention(q, q, q, 4, 2, 0, 0, null)).toThrow(
      /multiHeadAttention: argument 'ioWeightBias' must be a Tensor, got null/,
    );
  });

  it('LSTM projSize: h has projSize features, W_hh (4H, P), projWeights stacked per cell; LSTMCell carries weightHr', () => {
    random.seed(4);
    const lstm = new M.LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2 });
    const s = shapes(lstm);
    // columns: layer 0 2·(3 + 2 + 2), layer 1 2·(4 + 2 + 2)
    expect(s.flattenWeights).toEqual([20, 30]);
    expect(s.projWeights).toEqual([8, 5]);
    expect(s['cells.1.1.weightIh']).toEqual([20, 4]);
    expect(s['cells.1.1.weightHh']).toEqual([20, 2]);
    expect(s['cells.1.1.weightHr']).toEqual([2, 5]);
    for (const v of lstm.projWeights?.dataSync() ?? []) expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(5));
    const [out, [h, c]] = lstm(zeros([4, 3, 3]));
    expect([out.shape, h.shape, c.shape]).toEqual([
      [4, 3, 4],
      [4, 3, 2],
      [4, 3, 5],
    ]);
    expect(String(lstm).split('\n').slice(0, 2)).toEqual([
      'LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2',
      '  (cells.0.0): LSTMCell(3, 5, proj_size=2)',
    ]);
    expect(() => lstm(zeros([4, 3, 3]), [zeros([4, 3, 5]), zeros([4, 3, 5])])).toThrow(
      /LSTM: argument 'hx' must be \(4, 3, 2\), got \(4, 3, 5\)/,
    );
    for (const bad of [5, 7, -1, 1.5]) {
      expect(() => new M.LSTM(3, 5, { projSize: bad })).toThrow(
        new RegExp(`LSTM: argument 'projSize' must be 0 \\(no projection\\) or an integer in \\[1, hiddenSize 5\\), got ${bad}`),
      );
    }
    expect(shapes(new M.LSTM(3, 5))).not.toHaveProperty('projWeights');
    // odd shapes: empty batch, zero-length sequence, unbatched
    const [eo, [eh, ec]] = lstm(zeros([2, 0, 3]));
    expect([eo.shape, eh.shape, ec.shape]).toEqual([
      [2, 0, 4],
      [4, 0, 2],
      [4, 0, 5],
    ]);
    expect(lstm(zeros([0, 3, 3]))[0].shape).toEqual([0, 3, 4]);
    const [uo, [uh]] = lstm(zeros([3, 3]));
    expect([uo.shape, uh.shape]).toEqual([
      [3, 4],
      [4, 2],
    ]);
    const cell = new M.LSTMCell(3, 4, { projSize: 1 });
    expect(shapes(cell)).toEqual({ biasHh: [16], biasIh: [16], weightHh: [16, 1], weightHr: [1, 4], weightIh: [16, 3] });
    const [h1, c1] = cell(zeros([3]));
    expect([h1.shape, c1.shape]).toEqual([[1], [4]]);
    expect(() => new M.LSTMCell(3, 4, { projSize: 4 })).toThrow(/LSTMCell: argument 'projSize' must be 0/);
    expect(() =>
      F.lstmCell(zeros([2, 3]), zeros([2, 1]), zeros([2, 4]), {
        weightIh: zeros([16, 3]),
        weightHh: zeros([16, 1]),
        weightHr: zeros([2, 4]),
      }),
    ).toThrow(/lstmCell: argument 'weightHr' must be \(1, 4\) \(proj = hx's features, hidden\), got \(2, 4\)/);
  });

  it('Embedding: N(0,1) rows, the padding row zero and without gradient', () => {
    random.seed(2);
    const e = new M.Embedding(5, 3, { paddingIdx: 1 });
    expect([...e.weight.dataSync().slice(3, 6)]).toEqual([0, 0, 0]);
    const gm = new GradManager().attach(e.parameters());
    gm.record();
    const y = e(tensor(Int32Array.from([1, 2, 1, 4]), { shape: [2, 2] }));
    expect(y.shape).toEqual([2, 2, 3]);
    gm.backward(y.sum());
    expect([...e.weight.grad!.dataSync()]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
    expect(() => e(tensor([0.5]))).toThrow(/embedding: argument 'inp' must hold int32 indices, got float32/);
    expect(() => e(tensor(Int32Array.from([5])))).toThrow(/gather: argument 'index' must hold values in \[0, 4\]/);
    expect(() => new M.Embedding(5, 3, { paddingIdx: 7 })).toThrow(
      /Embedding: argument 'paddingIdx' must be an integer in \[-5, 4\], got 7/,
    );
  });

  it('PReLU: one slope or one per channel, 0.25 by default; Elemwise by method name', () => {
    const p = new M.PReLU(3);
    expect([...p.weight.dataSync()]).toEqual([0.25, 0.25, 0.25]);
    expect([
      ...p(tensor([[-4, 2, -8]]))
        .reshape([3])
        .dataSync(),
    ]).toEqual([-1, 2, -2]);
    expect(() => p(zeros([2, 4]))).toThrow(/prelu: argument 'weight' must hold 1 value or one per channel \(4\), got shape \(3,\)/);
    const fused = new M.Elemwise('fuse_add_relu');
    expect([...fused(tensor([1, -3]), tensor([1, 1])).dataSync()]).toEqual([2, 0]);
    expect(() => new M.Elemwise('NOPE')).toThrow(/Elemwise: argument 'method' must be one of ADD/);
    expect(() => fused(tensor([1]))).toThrow(/Elemwise\(FUSE_ADD_RELU\): expected 2 inputs, got 1/);
  });

  it('recurrent layers on odd shapes: batch 1, unbatched, empty batch, zero-length sequence', () => {
    const rnn = new M.RNN(2, 3, { numLayers: 2 });
    expect(rnn(zeros([4, 1, 2]))[0].shape).toEqual([4, 1, 3]);
    const [out, h] = rnn(zeros([4, 2]));
    expect([out.shape, h.shape]).toEqual([
      [4, 3],
      [2, 3],
    ]);
    const [eo, eh] = rnn(zeros([3, 0, 2]));
    expect([eo.shape, eh.shape]).toEqual([
      [3, 0, 3],
      [2, 0, 3],
    ]);
    const gru = new M.GRU(2, 3, { batchFirst: true, bidirectional: true });
    expect(gru(zeros([5, 0, 2]))[0].shape).toEqual([5, 0, 6]);
    expect(() => rnn(zeros([4, 1, 5]))).toThrow(/RNN: argument 'input' must have 2 features, got \(4, 1, 5\)/);
    expect(() => rnn(zeros([4, 1, 2]), zeros([1, 1, 3]))).toThrow(/RNN: argument 'hx' must be \(2, 1, 3\), got \(1, 1, 3\)/);
    const cell = new M.LSTMCell(2, 3);
    const [hc, cc] = cell(zeros([2]));
    expect([hc.shape, cc.shape]).toEqual([[3], [3]]);
  });
});

describe('module utilities', () => {
  class Net extends M.Module {
    fc = new M.Linear(3, 2);
    act = new M.PReLU();
    emb = new M.Embedding(4, 3);
    forward(x: Tensor): Tensor {
      return this.act(this.fc(this.emb(x)));
    }
  }

  it('numParameters, apply, toString', () => {
    const net = new Net();
    expect(net.numParameters()).toBe(3 * 2 + 2 + 1 + 4 * 3);
    const seen: string[] = [];
    net.apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(['Net', 'PReLU', 'Embedding', 'Linear']);
    expect(String(net)).toBe(
      'Net(\n  (act): PReLU(num_parameters=1)\n  (emb): Embedding(4, 3)\n  (fc): Linear(in_features=3, out_features=2, bias=True)\n)',
    );
    expect(() => net.apply(3 as never)).toThrow(/apply: argument 'fn' must be a function, got number/);
  });

  it('freeze: frozen parameters are not attached and get no gradient; zeroGrad clears', () => {
    const net = new Net();
    net.emb.freeze();
    expect(net.numParameters({ trainableOnly: true })).toBe(9);
    expect([...net.namedParameters({ requiresGrad: false })].map(([k]) => k)).toEqual(['emb.weight']);
    const gm = new GradManager().attach(net.parameters());
    gm.record();
    gm.backward(net(tensor(Int32Array.from([0, 3]))).sum());
    expect(net.emb.weight.grad).toBeNull();
    expect(net.fc.weight.grad).not.toBeNull();
    net.zeroGrad();
    expect(net.fc.weight.grad).toBeNull();
    net.unfreeze();
    expect(net.numParameters({ trainableOnly: true })).toBe(net.numParameters());
  });

  it('replaceParamWithTensor: weight tying and constants, with checks', () => {
    const a = new Net();
    const b = new Net();
    const old = b.replaceParamWithTensor('emb.weight', a.emb.weight);
    expect(old).not.toBe(a.emb.weight);
    expect(b.emb.weight).toBe(a.emb.weight);
    const constant = tensor(new Float32Array(6).fill(1), { shape: [2, 3] });
    b.replaceParamWithTensor('fc.weight', constant);
    expect([...b.namedParameters()].map(([k]) => k)).not.toContain('fc.weight');
    expect([...b.stateDict().keys()]).toContain('fc.weight');
    expect(() => b.replaceParamWithTensor('fc.nope', constant)).toThrow(
      /replaceParamWithTensor: argument 'name' must name a tensor of the module, got 'fc.nope'/,
    );
    expect(() => b.replaceParamWithTensor('fc.bias', constant)).toThrow(/'fc.bias' has shape \(2,\), got a value of shape \(2, 3\)/);
    expect(b.act.weight).toBeInstanceOf(Parameter);
  });
});

describe('functional catalogue: argument errors and odd shapes', () => {
  it('errors name the function, the argument, the expectation and the value', () => {
    expect(() => F.topk(tensor([1, 2]), 3)).toThrow(/topk: argument 'k' must be an integer in \[1, 2\], got 3/);
    expect(() => F.relu6(tensor(Int32Array.from([1])))).toThrow(/relu6: argument 'inp' must be float32, got int32/);
    expect(() => F.smoothL1Loss(zeros([2]), zeros([3]))).toThrow(/smoothL1Loss: 'pred' \(2,\) and 'label' \(3,\) must have the same shape/);
    expect(() => F.hingeLoss(zeros([2, 2]), zeros([2, 2]), 'L3' as never)).toThrow(
      /hingeLoss: argument 'norm' must be 'L1' or 'L2', got L3/,
    );
    expect(() => F.scaledDotProductAttention(zeros([2, 3]), zeros([4, 5]), zeros([4, 5]))).toThrow(
      /scaledDotProductAttention: argument 'key' must have query's feature size 3/,
    );
    expect(() => F.indexingOneHot(zeros([2, 3]), tensor(Int32Array.from([0])))).toThrow(
      /indexingOneHot: argument 'index' must have shape \(2,\)/,
    );
    expect(() => F.gruCell(zeros([2, 3]), zeros([2, 4]), { weightIh: zeros([12, 2]), weightHh: zeros([12, 4]) })).toThrow(
      /gruCell: argument 'weightIh' must be \(gates·hidden, 3\)/,
    );
  });

  it('empty batches flow through activations, losses, attention and sorting', () => {
    const e = zeros([0, 4]);
    for (const f of [F.relu6, F.hswish, F.hsigmoid, F.logsigmoid, F.mish]) expect(f(e).shape).toEqual([0, 4]);
    expect(F.smoothL1Loss(e, e, { reduction: 'none' }).shape).toEqual([0, 4]);
    expect(F.sort(e)[0].shape).toEqual([0, 4]);
    expect(F.cumsum(e, 0).shape).toEqual([0, 4]);
    expect(F.scaledDotProductAttention(zeros([0, 2, 4]), zeros([0, 3, 4]), zeros([0, 3, 5])).shape).toEqual([0, 2, 5]);
    const mha = new M.MultiHeadAttention(4, 2);
    expect(mha(zeros([0, 2, 4]), zeros([0, 3, 4]), zeros([0, 3, 4]))[0].shape).toEqual([0, 2, 4]);
  });
});
