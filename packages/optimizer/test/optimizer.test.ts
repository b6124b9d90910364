import { deserialize, Parameter, serialize, type Tensor, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, type Optimizer, type OptimizerStateDict, SGD } from '../src/index.js';
import { backward, makeParams } from './helpers.js';

describe('Optimizer basics', () => {
  it('step() chains into clearGrad(), which sets every .grad to null', () => {
    const { w, b } = makeParams();
    const opt = new SGD([w, b], { lr: 0.1 });
    backward(w, b);
    expect(w.grad).not.toBeNull();
    const before = Array.from(w.dataSync());
    expect(opt.step().clearGrad()).toBe(opt);
    expect(w.grad).toBeNull();
    expect(b.grad).toBeNull();
    expect(Array.from(w.dataSync())).not.toEqual(before);
  });

  it('updates parameters in place and skips those without a gradient', () => {
    const { w, b } = makeParams();
    const opt = new SGD([w, b], { lr: 0.5 });
    const id = w.id;
    w.grad = tensor([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    opt.step();
    expect(w.id).toBe(id);
    expect(Array.from(w.dataSync())).toEqual([0, -1.5, 1.5, 0.5, -0.75, -1.75]);
    expect(Array.from(b.dataSync())).toEqual(Array.from(new Float32Array([0.1, -0.2, 0.3])));
  });

  it('accepts a single Parameter, a generator, and groups with their own options', () => {
    const { w, b } = makeParams();
    function* gen() {
      yield w;
      yield b;
    }
    expect(new SGD(w, { lr: 1 }).paramGroups[0].params).toEqual([w]);
    expect(new SGD(gen(), { lr: 1 }).paramGroups[0].params).toEqual([w, b]);
    const opt = new SGD([{ params: w, lr: 0.1 }, { params: [b] }], { lr: 0.01, momentum: 0.5 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum, g.nesterov, g.weightDecay])).toEqual([
      [0.1, 0.5, false, 0],
      [0.01, 0.5, false, 0],
    ]);
    w.grad = tensor([
      [1, 0, 0],
      [0, 0, 0],
    ]);
    b.grad = tensor([1, 0, 0]);
    opt.step();
    expect(w.dataSync()[0]).toBeCloseTo(0.4, 6);
    expect(b.dataSync()[0]).toBeCloseTo(0.09, 6);
    const c = new Parameter([1, 2]);
    opt.addParamGroup({ params: c, lr: 0.3 });
    expect(opt.paramGroups[2].lr).toBe(0.3);
  });

  it('lr may be given per group only', () => {
    const { w, b } = makeParams();
    const opt = new Adam(
      [
        { params: w, lr: 0.1 },
        { params: b, lr: 0.2 },
      ],
      {} as never,
    );
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.2]);
  });
});

describe('Optimizer errors name the optimizer, the option, expected and got', () => {
  const { w, b } = makeParams();
  it('lr', () => {
    expect(() => new SGD([w], {} as never)).toThrow("SGD: option 'lr' is required (a non-negative number), got undefined");
    expect(() => new SGD([w], { lr: -0.1 })).toThrow("SGD: option 'lr' must be a non-negative number, got number -0.1");
    expect(() => new Adam([w], { lr: Number.NaN })).toThrow("Adam: option 'lr' must be a non-negative number, got number NaN");
    expect(() => new SGD([{ params: w, lr: -1 }], { lr: 0.1 })).toThrow(
      "SGD: paramGroups[0] option 'lr' must be a non-negative number, got number -1",
    );
    expect(() => new SGD([{ params: w }, { params: b, lr: 0.1 }], {} as never)).toThrow(
      "SGD: option 'lr' is required (a non-negative number), got undefined for paramGroups[0]",
    );
  });
  it('other options', () => {
    expect(() => new SGD([w], { lr: 0.1, nesterov: true })).toThrow("SGD: option 'nesterov' needs 'momentum' > 0, got momentum 0");
    expect(() => new SGD([{ params: w, momentum: 0 }], { lr: 0.1, momentum: 0.9, nesterov: true })).toThrow(
      "SGD: paramGroups[0] 'nesterov' needs 'momentum' > 0, got momentum 0",
    );
    expect(() => new SGD([w], { lr: 0.1, momentum: -0.9 })).toThrow(
      "SGD: option 'momentum' must be a non-negative number, got number -0.9",
    );
    expect(() => new SGD([w], { lr: 0.1, weightDecay: -1 })).toThrow("SGD: option 'weightDecay' must be a non-negative number");
    expect(() => new Adam([w], { lr: 0.1, betas: [0.9, 1] })).toThrow("Adam: option 'betas' must be two numbers in [0, 1), got [0.9, 1]");
    expect(() => new AdamW([w], { lr: 0.1, eps: -1 })).toThrow("AdamW: option 'eps' must be a non-negative number, got number -1");
  });
  it('params', () => {
    expect(() => new SGD([w, tensor([1, 2])] as never, { lr: 0.1 })).toThrow(
      'SGD: params[1] must be a Parameter, got a Tensor of shape (2,) (not a Parameter)',
    );
    expect(() => new SGD([{ params: [w, 3] }] as never, { lr: 0.1 })).toThrow(
      'SGD: paramGroups[0].params[1] must be a Parameter, got number 3',
    );
    expect(() => new SGD([{ params: w }, { params: [b, w] }], { lr: 0.1 })).toThrow(
      'SGD: paramGroups[1].params[1] (shape (2, 3)) is already in paramGroups[0]; a parameter may be in one group only',
    );
    expect(() => new SGD([w, w], { lr: 0.1 })).toThrow('SGD: params[1] (shape (2, 3)) appears twice in the same group');
    expect(() => new SGD([], { lr: 0.1 })).toThrow("SGD: argument 'params' is empty");
    expect(() => new SGD(5 as never, { lr: 0.1 })).toThrow(
      "SGD: argument 'params' must be a Parameter, an iterable of Parameters or of parameter groups, got number 5",
    );
  });
});

/** Runs `n` training steps of the test problem. */
function train(opt: Optimizer, w: Parameter, b: Parameter, n: number): void {
  for (let i = 0; i < n; i++) {
    backward(w, b);
    opt.step().clearGrad();
  }
}

describe('stateDict / loadStateDict', () => {
  it('keys state by parameter index with per-group options, as MegEngine does', () => {
    const { w, b } = makeParams();
    const opt = new SGD([{ params: w, lr: 0.1 }, { params: b }], { lr: 0.01, momentum: 0.9 });
    train(opt, w, b, 1);
    const sd = opt.stateDict();
    expect(sd.paramGroups).toEqual([
      { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0, params: [0] },
      { lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 0, params: [1] },
    ]);
    expect(Object.keys(sd.state)).toEqual(['0', '1']);
    expect((sd.state[1].momentumBuffer as Tensor).shape).toEqual([3]);
    const adam = new Adam([w, b], { lr: 0.1 });
    train(adam, w, b, 2);
    expect(adam.stateDict().state[0].step).toBe(2);
  });

  for (const [name, make] of [
    ['SGD + Nesterov', (ps: Parameter[]) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
    ['Adam', (ps: Parameter[]) => new Adam(ps, { lr: 0.05, weightDecay: 0.01 })],
    ['AdamW', (ps: Parameter[]) => new AdamW(ps, { lr: 0.05 })],
  ] as const) {
    it(`${name}: resuming from a checkpoint continues exactly like the uninterrupted run`, () => {
      const a = makeParams();
      const optA = make([a.w, a.b]);
      train(optA, a.w, a.b, 3);
      // Through the safetensors checkpoint format, as `mge train --resume` would.
      const bytes = serialize({ w: a.w, b: a.b, optimizer: optA.stateDict() });
      const ck = deserialize(bytes);
      const c = { w: new Parameter(ck.get('w')!), b: new Parameter(ck.get('b')!) };
      const optC = make([c.w, c.b]);
      optC.loadStateDict(ck.nested.optimizer);
      train(optA, a.w, a.b, 3);
      train(optC, c.w, c.b, 3);
      expect(Array.from(c.w.dataSync())).toEqual(Array.from(a.w.dataSync()));
      expect(Array.from(c.b.dataSync())).toEqual(Array.from(a.b.dataSync()));
      // Without the optimizer state the run differs (the test can fail).
      const d = { w: new Parameter(ck.get('w')!), b: new Parameter(ck.get('b')!) };
      train(make([d.w, d.b]), d.w, d.b, 3);
      expect(Array.from(d.w.dataSync())).not.toEqual(Array.from(a.w.dataSync()));
    });
  }

  it('restores per-group options and never aliases the given tensors', () => {
    const { w, b } = makeParams();
    const opt = new SGD([w, b], { lr: 0.1, momentum: 0.5 });
    train(opt, w, b, 1);
    const sd = opt.stateDict();
    const opt2 = new SGD(makeParams().w, { lr: 0.1, momentum: 0.5 });
    expect(() => opt2.loadStateDict(sd)).toThrow('SGD.loadStateDict: paramGroups[0] has 2 parameters in the state, 1 in the optimizer');
    const p = makeParams();
    const opt3 = new SGD([p.w, p.b], { lr: 0.7, momentum: 0.5 });
    opt3.loadStateDict({ ...sd, paramGroups: sd.paramGroups.map((g) => ({ ...g, lr: 0.02 })) });
    expect(opt3.paramGroups[0].lr).toBe(0.02);
    const saved = Array.from((sd.state[0].momentumBuffer as { dataSync(): Float32Array }).dataSync());
    train(opt3, p.w, p.b, 1);
    expect(Array.from((sd.state[0].momentumBuffer as { dataSync(): Float32Array }).dataSync())).toEqual(saved);
  });

  it('rejects mismatched state without changing anything', () => {
    const { w, b } = makeParams();
    const opt = new SGD([w, b], { lr: 0.1, momentum: 0.9 });
    const sd = opt.stateDict();
    const bad: OptimizerStateDict = { ...sd, state: { ...sd.state, 1: { momentumBuffer: tensor([1, 2]) } } };
    expect(() => opt.loadStateDict(bad)).toThrow(
      'SGD.loadStateDict: state 1.momentumBuffer has shape (2,), but parameter paramGroups[0].params[1] has (3,)',
    );
    expect(() => opt.loadStateDict({ ...sd, paramGroups: [{ ...sd.paramGroups[0], lr: -1 }] })).toThrow(
      "paramGroups[0] option 'lr' must be a non-negative number",
    );
    expect(() => opt.loadStateDict({ ...sd, paramGroups: [{ ...sd.paramGroups[0], momentum: 0, nesterov: true }] })).toThrow(
      "'nesterov' needs 'momentum' > 0",
    );
    expect(() => opt.loadStateDict({ paramGroups: [], state: {} })).toThrow(
      'SGD.loadStateDict: the state has 0 parameter groups, the optimizer has 1',
    );
    const { momentum: _m, ...noMomentum } = sd.paramGroups[0];
    expect(() => opt.loadStateDict({ ...sd, paramGroups: [noMomentum as never] })).toThrow(
      'SGD.loadStateDict: paramGroups[0] has options [lr, nesterov, weightDecay], expected [lr, momentum, nesterov, weightDecay]',
    );
    expect(opt.paramGroups[0].lr).toBe(0.1);
  });
});
