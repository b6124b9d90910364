import { describe, expect, it } from 'vitest';
import { CosineAnnealingLR, LinearWarmup, MultiStepLR, SGD } from '../src/index.js';
import { expectClose, makeParams } from './helpers.js';

function opt(lr = 0.1) {
  const { w, b } = makeParams();
  return new SGD([{ params: w }, { params: b, lr: lr * 10 }], { lr, momentum: 0.9 });
}
const lrsOf = (o: SGD) => o.paramGroups.map((g) => g.lr);

describe('LR schedulers', () => {
  it('MultiStepLR scales every group and records initialLr', () => {
    const o = opt();
    const s = new MultiStepLR(o, [1, 3], 0.1);
    expect(o.paramGroups.map((g) => g.initialLr)).toEqual([0.1, 1]);
    const seen = [lrsOf(o)];
    for (let i = 0; i < 3; i++) seen.push(lrsOf(s.step().optimizer as SGD));
    expectClose(seen.flat(), [0.1, 1, 0.01, 0.1, 0.01, 0.1, 0.001, 0.01], 1e-12, 'lrs');
    expect(s.stateDict()).toEqual({ currentEpoch: 3, milestones: [1, 3], gamma: 0.1 });
  });

  it('LinearWarmup ramps the wrapped schedule, then follows it', () => {
    const o = opt(0.2);
    const s = new LinearWarmup(new CosineAnnealingLR(o, 10, 0), 4, 0.2);
    const got: number[] = [o.paramGroups[0].lr];
    for (let i = 1; i < 7; i++) got.push(s.step().optimizer.paramGroups[0].lr);
    const cos = (e: number) => (0.2 * (1 + Math.cos((Math.PI * e) / 10))) / 2;
    const want = [0, 1, 2, 3, 4, 5, 6].map((e) => cos(e) * (e < 4 ? 0.2 + (0.8 * e) / 4 : 1));
    expectClose(got, want, 1e-12, 'lr');
    expect(s.inner.currentEpoch).toBe(6);
  });

  it('LinearWarmup over a constant lr, and resuming through stateDict', () => {
    const o = opt(1);
    const s = new LinearWarmup(o, 2, 0.5);
    expect(lrsOf(o)).toEqual([0.5, 5]);
    s.step();
    expect(lrsOf(o)).toEqual([0.75, 7.5]);
    s.step();
    expect(lrsOf(o)).toEqual([1, 10]);
    const o2 = opt(1);
    const s2 = new LinearWarmup(new MultiStepLR(o2, [5]), 3, 0.1);
    s2.loadStateDict({ currentEpoch: 6 });
    expectClose(lrsOf(o2), [0.1, 1], 1e-12, 'lr');
  });

  it('errors name the scheduler and the argument', () => {
    expect(() => new MultiStepLR(opt(), [3, 1])).toThrow(
      "MultiStepLR: argument 'milestones' must be increasing non-negative integers, got [3, 1]",
    );
    expect(() => new CosineAnnealingLR(opt(), 0)).toThrow("CosineAnnealingLR: argument 'tMax' must be a positive integer, got number 0");
    expect(() => new LinearWarmup(opt(), 2, 1.5)).toThrow("LinearWarmup: argument 'startFactor' must be in [0, 1], got number 1.5");
    expect(() => new MultiStepLR({} as never, [1])).toThrow("MultiStepLR: argument 'optimizer' must be an Optimizer, got a plain object");
    expect(() => new MultiStepLR(opt(), [1]).step(-2)).toThrow(
      "MultiStepLR.step: argument 'epoch' must be a non-negative integer, got number -2",
    );
  });
});
