// The layer catalogue's PyTorch 1.13 goldens (scripts/goldens/make_catalogue_goldens.py writes
// test/fixtures/catalogue_*.json), run on any registered device: functional/ runs them on
// `js`, kernels-cpu on `cpu`, kernels-webgpu on `webgpu`. Forward values and every gradient
// (inputs and, for layers, parameters) must be within 1e-4·max(1, |want|) on every device; and
// kernels-webgpu's browser test runs a subset in Chromium (the fixtures are imported as modules).
import { concat, GradManager, type Tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
// @mge/module depends on this package, so a package dependency would be a cycle.
import * as M from '../../module/src/index.js';
import * as F from '../src/index.js';
import activation from './fixtures/catalogue_activation.json';
import attention from './fixtures/catalogue_attention.json';
import indexing from './fixtures/catalogue_indexing.json';
import loss from './fixtures/catalogue_loss.json';
import recurrent from './fixtures/catalogue_recurrent.json';
import { expectClose, type FixtureTensor, fixtureTensor } from './golden-fixture.js';

export interface Case {
  name: string;
  op: string;
  args: Record<string, unknown>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  cotangent: FixtureTensor;
  grads: Record<string, FixtureTensor>;
  params?: Record<string, FixtureTensor>;
}

const FIXTURES = {
  catalogue_activation: activation,
  catalogue_indexing: indexing,
  catalogue_loss: loss,
  catalogue_recurrent: recurrent,
  catalogue_attention: attention,
} as unknown as Record<string, { cases: Case[] }>;
export const CATALOGUE_FILES = Object.keys(FIXTURES);

export function loadCatalogueCases(file: string): Case[] {
  return FIXTURES[file].cases;
}

type Inputs = Record<string, Tensor>;
type Args = Record<string, unknown>;
const flat = (...ts: Tensor[]) => concat(ts.map((t) => t.reshape([-1])));
const RED = (a: Args) => a.reduction as 'mean' | 'sum' | 'none';

const FUNCTIONS: Record<string, (x: Inputs, a: Args) => Tensor | [Tensor, Tensor]> = {
  relu6: (x) => F.relu6(x.inp),
  hswish: (x) => F.hswish(x.inp),
  hsigmoid: (x) => F.hsigmoid(x.inp),
  softplus: (x) => F.softplus(x.inp),
  logsigmoid: (x) => F.logsigmoid(x.inp),
  mish: (x) => F.mish(x.inp),
  silu: (x) => F.silu(x.inp),
  prelu: (x) => F.prelu(x.inp, x.weight),
  gather: (x, a) => F.gather(x.inp, a.axis as number, x.index),
  scatter: (x, a) => F.scatter(x.inp, a.axis as number, x.index, x.source),
  scatterAdd: (x, a) => F.scatterAdd(x.inp, a.axis as number, x.index, x.source),
  indexingOneHot: (x, a) => F.indexingOneHot(x.src, x.index, a.axis as number),
  cumsum: (x, a) => F.cumsum(x.inp, a.axis as number),
  sort: (x, a) => F.sort(x.inp, a.descending as boolean),
  argsort: (x, a) => {
    const order = F.argsort(x.inp, a.descending as boolean);
    return [F.gather(x.inp, -1, order), order];
  },
  oneHot: (x, a) => F.oneHot(x.label, a.numClasses as number),
  topk: (x, a) => F.topk(x.inp, a.k as number, { descending: a.descending as boolean, kthOnly: a.kthOnly as boolean }),
  embedding: (x, a) => F.embedding(x.inp, x.weight, a.paddingIdx as number | null),
  smoothL1Loss: (x, a) => F.smoothL1Loss(x.pred, x.label, { beta: a.beta as number, reduction: RED(a) }),
  huberLoss: (x, a) => F.huberLoss(x.pred, x.label, { delta: a.delta as number, reduction: RED(a) }),
  hingeLoss: (x, a) => F.hingeLoss(x.pred, x.label, a.norm as 'L1' | 'L2', RED(a)),
  klDiv: (x, a) => F.klDiv(x.pred, x.label, { reduction: a.reduction as 'batchmean', logTarget: a.logTarget as boolean }),
  ctcLoss: (x, a) =>
    F.ctcLoss(a.logProbs ? F.logSoftmax(x.logits, 2) : F.softmax(x.logits, 2), x.predLengths, x.label, x.labelLengths, {
      blank: a.blank as number,
      reduction: RED(a),
      logProbs: a.logProbs as boolean,
    }),
  rnnCell: (x, a) => F.rnnCell(x.inp, x.hx, x as unknown as F.CellWeights, a.nonlinearity as 'tanh' | 'relu'),
  lstmCell: (x) => flat(...F.lstmCell(x.inp, x.hx, x.cx, x as unknown as F.CellWeights)),
  gruCell: (x) => F.gruCell(x.inp, x.hx, x as unknown as F.CellWeights),
  scaledDotProductAttention: (x, a) =>
    F.scaledDotProductAttention(x.query, x.key, x.value, { attnMask: x.attnMask, isCausal: a.isCausal as boolean }),
  multiHeadAttention: (x, a) => {
    const [out, weights] = F.multiHeadAttention(x.query, x.key, x.value, a.embedDim as number, a.numHeads as number, 0, 0, x.ioWeightBias, {
      ...(a as F.MultiHeadAttentionOptions),
      keyPaddingMask: x.keyPaddingMask,
      needWeights: true,
    });
    return flat(out, weights as Tensor);
  },
};

type Layer = M.AnyModule;
const LAYERS: Record<string, { make: (a: Args) => Layer; run: (m: Layer, x: Inputs, a: Args) => Tensor }> = {
  RNN: {
    make: (a) => new M.RNN(a.inputSize as number, a.hiddenSize as number, a as M.RNNOptions),
    run: (m, x) => flat(...(m(x.inp, x.hx) as [Tensor, Tensor])),
  },
  GRU: {
    make: (a) => new M.GRU(a.inputSize as number, a.hiddenSize as number, a as M.RNNOptions),
    run: (m, x) => flat(...(m(x.inp, x.hx) as [Tensor, Tensor])),
  },
  LSTM: {
    make: (a) => new M.LSTM(a.inputSize as number, a.hiddenSize as number, a as M.LSTMOptions),
    run: (m, x) => {
      const [out, [h, c]] = m(x.inp, x.hx ? [x.hx, x.cx] : null) as [Tensor, [Tensor, Tensor]];
      return flat(out, h, c);
    },
  },
  MultiHeadAttention: {
    make: (a) =>
      new M.MultiHeadAttention(a.embedDim as number, a.numHeads as number, {
        kdim: a.kdim as number | null,
        vdim: a.vdim as number | null,
        bias: a.bias as boolean,
      }),
    run: (m, x, a) => {
      const call = {
        attnMask: x.attnMask,
        keyPaddingMask: x.keyPaddingMask,
        needWeights: true,
        averageAttnWeights: a.averageAttnWeights as boolean,
      };
      return flat(...(m(x.query, x.key, x.value, call) as [Tensor, Tensor]));
    },
  },
};

export async function checkCatalogueCase(c: Case, device: string, rtol = 1e-4): Promise<void> {
  const inputs: Inputs = {};
  for (const [k, v] of Object.entries(c.inputs)) inputs[k] = fixtureTensor(v, device);
  const differentiated: Tensor[] = Object.keys(c.grads)
    .filter((k) => k in inputs)
    .map((k) => inputs[k]);
  let layer: Layer | null = null;
  if (c.params) {
    const spec = LAYERS[c.op];
    expect(spec, `no layer '${c.op}'`).toBeDefined();
    layer = spec.make(c.args);
    const params = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, fixtureTensor(v, device)]));
    layer.loadStateDict(params);
    expect([...layer.stateDict().keys()].sort(), `${c.name}: state-dict keys`).toEqual(Object.keys(c.params).sort());
  }
  const named = new Map(layer ? layer.namedParameters() : []);
  const gm = new GradManager().attach([...differentiated, ...named.values()]);
  gm.record();
  let out: Tensor;
  let indices: Tensor | null = null;
  if (layer) out = LAYERS[c.op].run(layer, inputs, c.args);
  else {
    const run = FUNCTIONS[c.op];
    expect(run, `no function for '${c.op}'`).toBeDefined();
    const r = run(inputs, c.args);
    [out, indices] = Array.isArray(r) ? r : [r, null];
  }
  await expectClose(`${c.name} output`, out, c.outputs.out, rtol);
  if (c.outputs.indices) await expectClose(`${c.name} indices`, indices, c.outputs.indices, 0);
  // an integer-valued function (oneHot) has nothing to differentiate
  if (Object.keys(c.grads).length === 0) return;
  gm.backward(out, fixtureTensor(c.cotangent, device));
  for (const [k, want] of Object.entries(c.grads)) {
    const got = k in inputs ? inputs[k].grad : named.get(k)?.grad;
    await expectClose(`${c.name} grad of '${k}'`, got, want, rtol);
  }
}

/** Defines the catalogue goldens for `device` as vitest tests. */
export function runCatalogueGoldens(device: string, options: { rtol?: number; files?: string[] } = {}): void {
  const rtol = options.rtol ?? 1e-4;
  for (const file of options.files ?? CATALOGUE_FILES) {
    describe(`golden ${file} on '${device}' (PyTorch 1.13)`, () => {
      for (const c of loadCatalogueCases(file)) it(c.name, () => checkCatalogueCase(c, device, rtol));
    });
  }
}
