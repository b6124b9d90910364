/**
 * Printing like NumPy. The bodies below are NumPy 1.x's str() of the same arrays
 * (python3 -c "import numpy as np; print(repr(str(np.array(...))))"), with each
 * continuation line indented by len('Tensor(') as MegEngine's repr does.
 */
import { inspect } from 'node:util';
import { arange, tensor } from '@mge/core';
import { describe, expect, it } from 'vitest';

const wrap = (numpyStr: string, dtype: string) =>
  `Tensor(${numpyStr
    .split('\n')
    .map((l, i) => (i === 0 || l === '' ? l : `       ${l}`))
    .join('\n')}, dtype=${dtype}, device=js)`;

describe('printing', () => {
  it('a 2-d float tensor, exactly as the brief shows', () => {
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ]).toString(),
    ).toBe('Tensor([[1. 2.]\n        [3. 4.]], dtype=float32, device=js)');
  });

  it('util.inspect / console.log use the same text', () => {
    const t = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(inspect(t)).toBe(t.toString());
  });

  it.each([
    [[0.1, 1.5, -2], '[ 0.1  1.5 -2. ]'],
    [[1e-5, 1], '[1.e-05 1.e+00]'],
    [[1.5e-5, 1], '[1.5e-05 1.0e+00]'],
    [[1e10, -1], '[ 1.e+10 -1.e+00]'],
    [[123456789, 1], '[1.2345679e+08 1.0000000e+00]'],
    [[0, 1e-7], '[0.e+00 1.e-07]'],
    [[1 / 3, 100.25], '[  0.33333334 100.25      ]'],
    [[Number.NaN, Number.POSITIVE_INFINITY, -1.5], '[ nan  inf -1.5]'],
  ])('floats %j print as NumPy: %s', (values, body) => {
    expect(tensor(values as number[]).toString()).toBe(wrap(body as string, 'float32'));
  });

  it('a 0-d tensor', () => {
    expect(tensor(1.5).toString()).toBe('Tensor(1.5, dtype=float32, device=js)');
  });

  it('int32, including a 3-d tensor with a blank line between blocks', () => {
    expect(tensor([1, 2, 3], { dtype: 'int32' }).toString()).toBe('Tensor([1 2 3], dtype=int32, device=js)');
    const t = tensor(
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
      { dtype: 'int32' },
    );
    expect(t.toString()).toBe(wrap('[[[1 2]\n  [3 4]]\n\n [[5 6]\n  [7 8]]]', 'int32'));
  });

  it('bool', () => {
    expect(tensor([true, false]).toString()).toBe('Tensor([ True False], dtype=bool, device=js)');
  });

  it('summarises past 1000 elements with ... (1-d floats in scientific notation as NumPy)', () => {
    expect(arange(2000).toString()).toBe(wrap('[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]', 'float32'));
  });

  it('summarises a 2-d int tensor on both axes', () => {
    const numpy =
      '[[   0    1    2 ...   47   48   49]\n [  50   51   52 ...   97   98   99]\n [ 100  101  102 ...  147  148  149]\n ...\n [1850 1851 1852 ... 1897 1898 1899]\n [1900 1901 1902 ... 1947 1948 1949]\n [1950 1951 1952 ... 1997 1998 1999]]';
    expect(arange(2000, undefined, 1, { dtype: 'int32' }).reshape(40, 50).toString()).toBe(wrap(numpy, 'int32'));
  });

  it('1000 elements exactly are not summarised', () => {
    const s = arange(1000, undefined, 1, { dtype: 'int32' }).toString();
    expect(s).not.toContain('...');
    expect(s).toContain(' 999]');
  });

  it('0-size and disposed tensors', () => {
    expect(tensor([[], []]).toString()).toBe('Tensor([], shape=(2, 0), dtype=float32, device=js)');
    expect(tensor([]).toString()).toBe('Tensor([], shape=(0,), dtype=float32, device=js)');
    const t = tensor([1]);
    t.dispose();
    expect(t.toString()).toBe('Tensor(<disposed>, shape=(1,), dtype=float32, device=js)');
  });
});
