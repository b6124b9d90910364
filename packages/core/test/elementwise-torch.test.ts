/**
 * Every numeric row of the operator table against PyTorch 1.13 (forward and gradient), from
 * test/fixtures/elementwise-torch.json made by scripts/goldens/elementwise.py. The conformance
 * suite then holds every backend to the table's float64 references.
 */
import { readFileSync } from 'node:fs';
import { BINARY_ROWS, GradManager, Parameter, type Tensor, tensor, UNARY_ROWS } from '@mge/core';
import { describe, expect, it } from 'vitest';
import * as mge from '../src/index.js';

interface Golden {
  inputs: number[][];
  out: number[];
  cotangent: number[];
  grads: number[][];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/elementwise-torch.json', import.meta.url), 'utf8')) as {
  cases: Record<string, Golden>;
};

function expectClose(what: string, got: ArrayLike<number>, want: number[], rtol: number, atol: number): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]);
    if (!ok) expect(got[i], `${what}[${i}]`).toBe(want[i]);
  }
}

const fns = mge as unknown as Record<string, (...xs: Tensor[]) => Tensor>;
const rows = [...UNARY_ROWS.filter((r) => r.dtype !== 'logical'), ...BINARY_ROWS.filter((r) => r.dtype === 'arith' || r.dtype === 'float')];

describe('elementwise operators against PyTorch', () => {
  for (const row of rows) {
    it(`${row.name}: forward and gradient`, async () => {
      const g = fixture.cases[row.name];
      expect(g, `no PyTorch golden for '${row.name}': add it to scripts/goldens/elementwise.py`).toBeDefined();
      expect(typeof fns[row.name], `@mge/core exports no '${row.name}'`).toBe('function');
      const xs = g.inputs.map((v) => new Parameter(tensor(v)));
      const gm = new GradManager().attach(xs);
      gm.record();
      const y = fns[row.name](...xs);
      expectClose(`${row.name} out`, await y.data(), g.out, 1e-5, 1e-6);
      gm.backward(y, tensor(g.cotangent));
      for (const [i, x] of xs.entries()) {
        expectClose(`${row.name} grad ${i}`, x.grad ? await x.grad.data() : new Float32Array(g.out.length), g.grads[i], 1e-4, 1e-5);
      }
    });
  }
});
