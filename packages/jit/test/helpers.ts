import { GradManager, Parameter, random, type Tensor, tensor } from '@mge/core';
import * as F from '@mge/functional';
import { BasicBlock, LeNet } from '@mge/models-zoo';
import * as M from '@mge/module';
import { Adam, SGD } from '@mge/optimizer';
import { expect } from 'vitest';
import { trace } from '../src/index.js';

/** A LeNet with weights from `seed`, its GradManager and SGD with momentum, and the training step of MegEngine's guide examples. */
export function lenetStep(seed: number) {
  random.seed(seed);
  const model = new LeNet();
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const step = (x: Tensor, y: Tensor): Tensor => {
    gm.record();
    const loss = F.crossEntropy(model(x) as Tensor, y);
    gm.backward(loss);
    opt.step().clearGrad();
    return loss;
  };
  return { model, step };
}

/** A batch of LeNet inputs (n, 1, 32, 32) and labels from `seed`, on `device`. */
export function batch(n: number, seed: number, device: string): [Tensor, Tensor] {
  random.seed(seed);
  const x = random.normal(0, 1, [n, 1, 32, 32], { device });
  const labels = Array.from({ length: n }, (_, i) => (i * 7 + seed) % 10);
  return [x, tensor(labels, { dtype: 'int32', device })];
}

export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

/** A model and its training step, as `lenetStep` and `smallResNetStep` make them. */
export interface TrainingStep {
  model: M.Module;
  step: (x: Tensor, y: Tensor) => Tensor;
}

/**
 * Trains two copies from one seed (`make`), one eagerly and one through `trace`, on `steps`
 * batches from `batchAt`: the losses agree at every step and the parameters and buffers (running
 * statistics) at the end (1e-5), and the step was traced once.
 */
export async function expectTracedMatchesEager(
  make: () => TrainingStep,
  batchAt: (i: number) => [Tensor, Tensor],
  steps: number,
  symbolic = false,
): Promise<void> {
  const eager = make();
  const traced = make();
  const step = trace(traced.step, { symbolic });
  for (let i = 0; i < steps; i++) {
    const [x, y] = batchAt(i);
    const le = await eager.step(x, y).data();
    const lt = await step(x, y).data();
    expect(Math.abs(le[0] - lt[0])).toBeLessThan(1e-5);
  }
  expect(step.traceCount).toBe(1);
  const te = [...eager.model.parameters(), ...eager.model.buffers()];
  const tt = [...traced.model.parameters(), ...traced.model.buffers()];
  for (let i = 0; i < te.length; i++) {
    expect(maxRelDiff((await tt[i].data()) as Float32Array, (await te[i].data()) as Float32Array)).toBeLessThan(1e-5);
  }
}

/** `expectTracedMatchesEager` for LeNets from seed 3 on batches of `n` on `device`. */
export async function expectTracedLeNetMatchesEager(device: string, steps: number, n: number, symbolic = false): Promise<void> {
  await expectTracedMatchesEager(
    () => lenetStep(3),
    (i) => batch(n, i, device),
    steps,
    symbolic,
  );
}

/** Adam's bias correction reads a host step count that changes every call: the second call must say so. */
export function expectAdamStepCountReported(): void {
  const w = new Parameter(tensor([1, 2]));
  const gm = new GradManager().attach([w]);
  const opt = new Adam([w], { lr: 0.1 });
  const step = trace((x: Tensor) => {
    gm.record();
    gm.backward(x.mul(w).sum());
    opt.step().clearGrad();
  });
  step(tensor([1, 1]));
  expect(() => step(tensor([1, 1]))).toThrow(/read the constant .* on the first call and .* on the second/);
}

/** A ResNet in miniature (conv-BN-relu stem, a basic block, a strided block with a projection, pool, fc) and its training step. */
export function smallResNetStep(seed: number) {
  random.seed(seed);
  const model = new M.Sequential(
    new M.Conv2d(3, 4, 3, { padding: 1, bias: false }),
    new M.BatchNorm2d(4),
    new M.ReLU(),
    new BasicBlock(4, 4),
    new BasicBlock(4, 8, 2),
    new M.AdaptiveAvgPool2d(1),
    new M.Flatten(),
    new M.Linear(8, 10),
  );
  model.train();
  const gm = new GradManager().attach(model.parameters());
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  const step = (x: Tensor, y: Tensor): Tensor => {
    gm.record();
    const loss = F.crossEntropy(model(x) as Tensor, y);
    gm.backward(loss);
    opt.step().clearGrad();
    return loss;
  };
  return { model, step };
}
