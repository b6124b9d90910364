import { GradManager, Parameter, type Tensor, tensor } from '@mge/core';
import { expect } from 'vitest';

/** The problem of golden/make-golden.py: loss = sum(c·w²) + sum(d·w) + sum(e·(b−t)²). */
export const problem = {
  W0: [
    [0.5, -1.0, 2.0],
    [1.5, 0.25, -0.75],
  ],
  B0: [0.1, -0.2, 0.3],
  C: [
    [1.0, 0.5, 2.0],
    [0.25, 1.5, 1.0],
  ],
  D: [
    [0.1, -0.3, 0.2],
    [0.0, 0.4, -0.1],
  ],
  E: [1.0, 2.0, 0.5],
  T: [1.0, -1.0, 0.5],
};

export function makeParams(): { w: Parameter; b: Parameter } {
  return { w: new Parameter(problem.W0), b: new Parameter(problem.B0) };
}

export function loss(w: Tensor, b: Tensor): Tensor {
  const [c, d, e, t] = [problem.C, problem.D, problem.E, problem.T].map((x) => tensor(x));
  const db = b.sub(t);
  return w.mul(w).mul(c).sum().add(w.mul(d).sum()).add(db.mul(db).mul(e).sum());
}

/** Fills .grad of w and b through GradManager, like a training step. */
export function backward(w: Parameter, b: Parameter): void {
  const gm = new GradManager().attach([w, b]);
  gm.record();
  gm.backward(loss(w, b));
}

export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what = ''): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (err > tol * (1 + Math.abs(want[i]))) expect.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]} (error ${err} > ${tol})`);
  }
}
