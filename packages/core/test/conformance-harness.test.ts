/** The conformance harness itself must fail on wrong values, dtypes, shapes and gradients. */
import * as mge from '@mge/core';
import { type Case, conformanceCases, runCase } from '@mge/core/testing';
import { describe, expect, it } from 'vitest';
import { map, nd } from '../src/testing/nd.js';

const o = { device: 'js', tolerance: { rtol: 1e-4, atol: 1e-5 }, gradTolerance: { rtol: 1e-2, atol: 1e-3 } };

describe('conformance harness', () => {
  it('passes a correct case with a gradient check', async () => {
    const c: Case = {
      name: 'square',
      inputs: [{ shape: [3] }],
      run: ([x]) => mge.mul(x, x),
      ref: ([x]) => map(x, (v) => v * v),
      grad: true,
    };
    await expect(runCase(c, o)).resolves.toBeUndefined();
  });
  it('fails on a value off by more than the tolerance, naming the position', async () => {
    const c: Case = { name: 'off', inputs: [{ shape: [2, 2] }], run: ([x]) => mge.add(x, 1e-3), ref: ([x]) => x };
    await expect(runCase(c, o)).rejects.toThrow(/off \(reference\): 4 of 4 values differ .*\n\s+at \[0, 0\]/);
  });
  it('fails on a wrong dtype and a wrong shape', async () => {
    const dt: Case = { name: 'dt', inputs: [{ shape: [2], gen: 'int' }], run: ([x]) => x.astype('float32'), ref: ([x]) => x };
    await expect(runCase(dt, o)).rejects.toThrow(/dtype mismatch: got float32, expected int32/);
    const sh: Case = { name: 'sh', inputs: [{ shape: [2, 3] }], run: ([x]) => x.reshape(3, 2), ref: ([x]) => x };
    await expect(runCase(sh, o)).rejects.toThrow(/shape mismatch: got \[3, 2\], expected \[2, 3\]/);
  });
  it('fails when int32 results are off by one (exact comparison)', async () => {
    const c: Case = {
      name: 'int',
      inputs: [{ shape: [2], dtype: 'int32', values: [1, 2] }],
      run: ([x]) => mge.add(x, 1),
      expect: nd([2], [2, 4], 'int32'),
    };
    await expect(runCase(c, o)).rejects.toThrow(/1 of 2 values differ \(exact\)/);
  });
  it('fails when the gradient is wrong (x·detach(x) is not x²)', async () => {
    const c: Case = {
      name: 'det',
      inputs: [{ shape: [3] }],
      run: ([x]) => mge.mul(x, x.detach()),
      ref: ([x]) => map(x, (v) => v * v),
      grad: true,
    };
    await expect(runCase(c, o)).rejects.toThrow(/det: gradient of input 0/);
  });
  it('fails when there is no gradient but there should be one', async () => {
    const c: Case = {
      name: 'nog',
      inputs: [{ shape: [3] }, { shape: [3] }],
      run: ([x, y]) => mge.add(mge.mul(x.detach(), 2), y),
      ref: ([x, y]) =>
        nd(
          [3],
          x.data.map((v, i) => 2 * v + y.data[i]),
        ),
      grad: true,
    };
    await expect(runCase(c, o)).rejects.toThrow(/nog: input 0 got no gradient/);
  });
  it('catches a backend whose conv2dBackwardFilter is wrong, in exactly the gradient cases', async () => {
    class BrokenFilterGrad extends mge.JsBackend {
      override conv2dBackwardFilter(...args: Parameters<mge.JsBackend['conv2dBackwardFilter']>) {
        const dw = super.conv2dBackwardFilter(...args) as Float32Array;
        dw[0] += 0.5;
        return dw;
      }
    }
    mge.registerBackend('broken-filter-grad', () => new BrokenFilterGrad(), 0);
    const cases = conformanceCases().conv2d.conv2d;
    const results = await Promise.allSettled(cases.map((c) => runCase(c, { ...o, device: 'broken-filter-grad' })));
    const failed = cases.filter((_, i) => results[i].status === 'rejected').map((c) => c.name);
    expect(failed).toEqual(cases.filter((c) => c.grad).map((c) => c.name));
    expect(failed.length).toBeGreaterThan(5);
  });
  it('catches a backend that ignores transB in matmul', async () => {
    class NoTransB extends mge.JsBackend {
      override matmul(a: Parameters<mge.JsBackend['matmul']>[0], b: Parameters<mge.JsBackend['matmul']>[1], p: mge.MatmulParams) {
        return super.matmul(a, b, { ...p, transB: false });
      }
    }
    mge.registerBackend('no-trans-b', () => new NoTransB(), 0);
    const cases = conformanceCases().matmul.matmul.filter((c) => /\]ᵀ$/.test(c.name));
    expect(cases.length).toBeGreaterThanOrEqual(4);
    const results = await Promise.allSettled(cases.map((c) => runCase(c, { ...o, device: 'no-trans-b' })));
    expect(results.map((r) => r.status)).toEqual(cases.map(() => 'rejected'));
  });
  it('rejects a skip option', async () => {
    const { runConformance } = await import('@mge/core/testing');
    expect(() => runConformance('js', { skip: ['x'] } as never)).toThrow(/'skip' is not supported/);
  });
});
