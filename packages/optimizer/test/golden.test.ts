import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { Adam, AdamW, CosineAnnealingLR, MultiStepLR, type Optimizer, SGD } from '../src/index.js';
import { backward, expectClose, makeParams, problem } from './helpers.js';

// golden/golden.json is written by golden/make-golden.py with PyTorch 1.13 (float32).
const golden = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'golden', 'golden.json'), 'utf8'));
const classes = { SGD, Adam, AdamW } as const;

describe('optimizers match PyTorch step by step', () => {
  for (const [name, spec] of Object.entries<any>(golden.optimizers)) {
    it(name, () => {
      const { w, b } = makeParams();
      const Cls = classes[spec.kind as keyof typeof classes];
      const params = spec.groups
        ? [
            { params: w, ...spec.groups[0] },
            { params: b, ...spec.groups[1] },
          ]
        : [w, b];
      const opt: Optimizer = new Cls(params as never, spec.options);
      spec.params.forEach((want: { w: number[]; b: number[] }, step: number) => {
        backward(w, b);
        opt.step().clearGrad();
        expectClose(w.dataSync(), want.w, 2e-6, `${name} step ${step + 1} w`);
        expectClose(b.dataSync(), want.b, 2e-6, `${name} step ${step + 1} b`);
      });
    });
  }
});

describe('optimizers match hand-written float64 formulas', () => {
  // Gradients of the problem's loss, written out: dw = 2·c·w + d, db = 2·e·(b − t).
  const gradW = (w: number[]) => w.map((x, i) => 2 * problem.C.flat()[i] * x + problem.D.flat()[i]);
  const gradB = (b: number[]) => b.map((x, i) => 2 * problem.E[i] * (x - problem.T[i]));

  it('SGD with Nesterov momentum and weight decay (MegEngine rule)', () => {
    const [lr, mom, wd] = [0.05, 0.8, 0.01];
    let w = problem.W0.flat();
    let vw = w.map(() => 0);
    const { w: pw, b: pb } = makeParams();
    const opt = new SGD([pw, pb], { lr, momentum: mom, nesterov: true, weightDecay: wd });
    for (let s = 0; s < 5; s++) {
      const g = gradW(w).map((x, i) => x + wd * w[i]);
      vw = vw.map((v, i) => mom * v + g[i]);
      w = w.map((x, i) => x - lr * (g[i] + mom * vw[i]));
      backward(pw, pb);
      opt.step().clearGrad();
      expectClose(pw.dataSync(), w, 2e-6, `step ${s + 1}`);
    }
  });

  it('Adam with L2 weight decay and AdamW with decoupled decay', () => {
    for (const decoupled of [false, true]) {
      const [lr, b1, b2, eps, wd] = [0.05, 0.9, 0.999, 1e-8, 0.1];
      let b = [...problem.B0];
      let m = b.map(() => 0);
      let v = b.map(() => 0);
      const { w: pw, b: pb } = makeParams();
      const opt = new (decoupled ? AdamW : Adam)([pw, pb], { lr, weightDecay: wd });
      for (let t = 1; t <= 5; t++) {
        const g = gradB(b).map((x, i) => (decoupled ? x : x + wd * b[i]));
        m = m.map((x, i) => b1 * x + (1 - b1) * g[i]);
        v = v.map((x, i) => b2 * x + (1 - b2) * g[i] * g[i]);
        b = b.map((x, i) => {
          const step = m[i] / (1 - b1 ** t) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
          return x - lr * (step + (decoupled ? wd * x : 0));
        });
        backward(pw, pb);
        opt.step().clearGrad();
        expectClose(pb.dataSync(), b, 2e-6, `${decoupled ? 'AdamW' : 'Adam'} step ${t}`);
      }
    }
  });
});

describe('LR schedules match PyTorch', () => {
  const lrs = (opt: Optimizer, step: () => void, n: number) =>
    Array.from({ length: n }, (_, i) => {
      if (i > 0) step();
      return opt.paramGroups[0].lr;
    });

  it('MultiStepLR', () => {
    const g = golden.schedules.multistep;
    const opt = new SGD(makeParams().w, { lr: 0.1 });
    const s = new MultiStepLR(opt, g.milestones, g.gamma);
    expectClose(
      lrs(opt, () => s.step(), g.lrs.length),
      g.lrs,
      1e-12,
      'lr',
    );
  });

  it('CosineAnnealingLR', () => {
    const g = golden.schedules.cosine;
    const opt = new SGD(makeParams().w, { lr: 0.1 });
    const s = new CosineAnnealingLR(opt, g.tMax, g.etaMin);
    expectClose(
      lrs(opt, () => s.step(), g.lrs.length),
      g.lrs,
      1e-12,
      'lr',
    );
  });
});
