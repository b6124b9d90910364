import { deserialize, GradManager, random, serialize, type Tensor, tensor } from '@mge/core';
import { Linear, ReLU, Sequential } from '@mge/module';
import { describe, expect, it } from 'vitest';
import { Adam, MultiStepLR, SGD } from '../src/index.js';

function makeModel() {
  return new Sequential(new Linear(3, 8), new ReLU(), new Linear(8, 1));
}
const x = tensor([
  [0, 1, 2],
  [1, -1, 0.5],
  [2, 0, -1],
  [-1, 2, 1],
]);
const y = tensor([[1], [0], [2], [-1]]);

function trainStep(model: ReturnType<typeof makeModel>, opt: { step(): { clearGrad(): unknown } }, gm: GradManager): number {
  gm.record();
  const err = (model(x) as Tensor).sub(y);
  const loss = err.mul(err).mean();
  gm.backward(loss);
  opt.step().clearGrad();
  return loss.item();
}

describe('with @mge/module', () => {
  it('new SGD(model.parameters(), {lr}) trains a small MLP', () => {
    random.seed(1);
    const model = makeModel();
    const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    expect(opt.paramGroups[0].params.length).toBe(4);
    const gm = new GradManager().attach(model.parameters());
    const losses = Array.from({ length: 60 }, () => trainStep(model, opt, gm));
    expect(losses[59]).toBeLessThan(losses[0] * 0.2);
  });

  it('model and optimizer state saved together resume the same run', () => {
    random.seed(2);
    const a = makeModel();
    const optA = new Adam(a.parameters(), { lr: 0.01 });
    const schedA = new MultiStepLR(optA, [4], 0.5);
    const gmA = new GradManager().attach(a.parameters());
    for (let i = 0; i < 3; i++) {
      trainStep(a, optA, gmA);
      schedA.step();
    }
    const bytes = serialize(
      { ...Object.fromEntries(a.stateDict()), optimizer: optA.stateDict(), scheduler: schedA.stateDict() },
      { metadata: { model: 'mlp' } },
    );

    random.seed(99);
    const b = makeModel();
    const ck = deserialize(bytes);
    expect(ck.metadata.model).toBe('mlp');
    b.loadStateDict(ck);
    const optB = new Adam(b.parameters(), { lr: 0.01 });
    optB.loadStateDict(ck.nested.optimizer);
    const schedB = new MultiStepLR(optB, [4], 0.5, 2);
    schedB.loadStateDict(ck.nested.scheduler as { currentEpoch: number });
    const gmB = new GradManager().attach(b.parameters());
    for (let i = 0; i < 3; i++) {
      expect(trainStep(b, optB, gmB)).toBe(trainStep(a, optA, gmA));
      schedA.step();
      schedB.step();
      expect(optB.paramGroups[0].lr).toBe(optA.paramGroups[0].lr);
    }
    const pa = [...a.parameters()].map((p) => Array.from(p.dataSync()));
    const pb = [...b.parameters()].map((p) => Array.from(p.dataSync()));
    expect(pb).toEqual(pa);
  });
});
