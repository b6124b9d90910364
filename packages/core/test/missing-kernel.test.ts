/**
 * A backend may skip an elementwise primitive (Backend.hasKernel): core then runs the
 * operator's composed default from its table row, or throws an error naming the operator
 * and the backend.
 */
import { binary, expm1, GradManager, JsBackend, logicalNot, Parameter, registerBackend, softplus, tensor, unary } from '@mge/core';
import { describe, expect, it } from 'vitest';

/** The js backend without softplus (which has a composed default), expm1 and logicalNot (which have none). */
class PartialBackend extends JsBackend {
  constructor() {
    super();
    Object.defineProperty(this, 'name', { value: 'partial' });
  }
  hasKernel(op: string): boolean {
    return op !== 'softplus' && op !== 'expm1' && op !== 'logicalNot';
  }
}

registerBackend('partial', () => new PartialBackend(), -1);

describe('an operator a backend lacks', () => {
  it('runs its composed default, with gradients, when the table row has one', async () => {
    const values = [-30, -2, -0.5, 0, 0.5, 3, 40];
    const x = new Parameter(tensor(values).to('partial'));
    const gm = new GradManager().attach([x]);
    gm.record();
    const y = softplus(x);
    gm.backward(y.sum());
    const want = values.map((v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
    const got = Array.from(await y.data());
    for (const [i, g] of got.entries()) expect(g).toBeCloseTo(want[i], 6);
    const grad = Array.from(await x.grad!.data());
    const sigmoid = values.map((v) => 1 / (1 + Math.exp(-v)));
    for (const [i, g] of grad.entries()) expect(g).toBeCloseTo(sigmoid[i], 6);
  });

  it('throws an error naming the operator and the backend when it has no default', () => {
    const x = tensor([0.5, 1]).to('partial');
    expect(() => expm1(x)).toThrow("expm1: not supported by the 'partial' backend");
    expect(() => logicalNot(x)).toThrow("logicalNot: not supported by the 'partial' backend");
  });
});

describe('the generic elementwise entry points', () => {
  it('name the operators they accept when given another', () => {
    const x = tensor([1]);
    expect(() => unary('cube' as never, x)).toThrow("unary: argument 'op' must be one of neg, abs,");
    expect(() => binary('hypot' as never, x, x)).toThrow("binary: argument 'op' must be one of add, sub,");
    expect(unary('log1p', tensor([0])).item()).toBe(0);
  });
});
