/**
 * MegEngine hub checkpoints: fixtures/make_fixtures.py writes the PyTorch fixtures' weights as
 * MegEngine's `mge.save(model.state_dict(), f)` does (snake_case names, MegEngine's shapes);
 * loaded into the zoo models they give PyTorch's outputs.
 */
import { readFileSync } from 'node:fs';
import { concat, type Tensor, tensor, zeros } from '@mge/core';
import * as M from '@mge/module';
import { describe, expect, it } from 'vitest';
import { loadMegEngineStateDict, megengineKey, resnet18 } from '../src/index.js';
import { build, expectClose, readFixture } from './golden.js';

const pkl = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}.pkl`, import.meta.url)));

describe('MegEngine .pkl state dicts', () => {
  it('renames snake_case to the camelCase the modules use', () => {
    expect(megengineKey('features.0.branch_main.4.running_var')).toBe('features.0.branchMain.4.runningVar');
    expect(megengineKey('first_conv.0.weight')).toBe('firstConv.0.weight');
    expect(megengineKey('layer1.0.downsample.1.bias')).toBe('layer1.0.downsample.1.bias');
    expect(megengineKey('_flatten_weights')).toBe('flattenWeights');
    expect(megengineKey('lstm.cells.1.0.bias_ih')).toBe('lstm.cells.1.0.biasIh');
  });

  it("loads MegEngine's LSTM state dict (_flatten_weights and the per-cell modules)", () => {
    const lstm = new M.LSTM(3, 2, { numLayers: 2 });
    const sd = new Map<string, Tensor>([['_flatten_weights', zeros([8, 3 + 2 + 2 + (2 + 2 + 2)]).add(0.5)]]);
    for (const [l, i] of [
      [0, 3],
      [1, 2],
    ])
      for (const [k, shape] of [
        ['weight_ih', [8, i]],
        ['weight_hh', [8, 2]],
        ['bias_ih', [8]],
        ['bias_hh', [8]],
      ] as const)
        sd.set(`cells.${l}.0.${k}`, zeros([...shape]));
    loadMegEngineStateDict(lstm, sd);
    expect(lstm.flattenWeights.shape).toEqual([8, 13]);
    expect([...lstm.flattenWeights.dataSync()].every((v) => v === 0.5)).toBe(true);
  });

  for (const name of ['resnet18-tiny', 'shufflenetv2-tiny']) {
    it(`${name}: loads and reproduces PyTorch's eval output`, async () => {
      const f = readFixture(name);
      const model = build(f);
      loadMegEngineStateDict(model, pkl(name), { source: `${name}.pkl` });
      model.eval();
      const x = tensor(Float32Array.from(f.input.data), { shape: f.input.shape });
      expectClose(`${name} eval output`, await (model(x) as Tensor).data(), f.evalOutput, 2e-3);
    });
  }

  it('an LSTM checkpoint (fixtures/make_lstm_pickle.py): flattenWeights drives the forward like the cells it packs', async () => {
    const lstm = loadMegEngineStateDict(new M.LSTM(3, 2, { numLayers: 2 }), pkl('lstm-megengine'), { source: 'lstm-megengine.pkl' });
    const x = tensor(
      Float32Array.from({ length: 4 * 1 * 3 }, (_, i) => Math.sin(i)),
      { shape: [4, 1, 3] },
    );
    const [out, [h]] = lstm(x);
    // the same two layers run cell by cell on the per-cell weights of the checkpoint
    let seq = [0, 1, 2, 3].map((t) => x.index(t));
    const last: Tensor[] = [];
    for (const cell of lstm.cells.map((row) => row[0]) as M.LSTMCell[]) {
      let hc: [Tensor, Tensor] = [zeros([1, 2]), zeros([1, 2])];
      seq = seq.map((xt) => {
        hc = cell(xt, hc);
        return hc[0];
      });
      last.push(hc[0]);
    }
    expectClose('LSTM output', await out.data(), [...(await concat(seq, 0).data())], 1e-6);
    expectClose('LSTM h_n', await h.data(), [...(await concat(last, 0).data())], 1e-6);
  });

  it('names the key that does not fit', () => {
    const f = readFixture('resnet18-tiny');
    const wider = resnet18({ ...(f.options as object), width: 4 });
    expect(() => loadMegEngineStateDict(wider, pkl('resnet18-tiny'))).toThrow(
      /loadStateDict: key 'bn1.bias' expects shape \(4,\), got \(2,\)/,
    );
    expect(() => loadMegEngineStateDict(build(readFixture('shufflenetv2-tiny')), pkl('resnet18-tiny'))).toThrow(
      /loadStateDict: missing keys: .*firstConv/,
    );
  });
});
