/** Seeded random: same seed, same numbers; sensible distributions; argument checks. */
import { random } from '@mge/core';
import { describe, expect, it } from 'vitest';

const arr = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());

describe('random', () => {
  it('the same seed gives the same numbers, for every generator', () => {
    const draw = () => [
      arr(random.normal(0, 1, [3, 4])),
      arr(random.uniform(-1, 1, 5)),
      arr(random.randn(2, 2)),
      arr(random.permutation(10)),
      Array.from(random.uniformArray(3)),
    ];
    random.seed(1234);
    const a = draw();
    random.seed(1234);
    const b = draw();
    expect(b).toEqual(a);
    random.seed(1235);
    expect(draw()[0]).not.toEqual(a[0]);
  });

  it('a seeded sequence continues deterministically (not just the first draw)', () => {
    random.seed(7);
    const first = arr(random.normal(0, 1, 4));
    const second = arr(random.normal(0, 1, 4));
    expect(second).not.toEqual(first);
    random.seed(7);
    random.normal(0, 1, 4);
    expect(arr(random.normal(0, 1, 4))).toEqual(second);
  });

  it('normal has the requested mean and std; uniform stays in [low, high)', () => {
    random.seed(0);
    const n = arr(random.normal(2, 3, 20000));
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const std = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean - 2)).toBeLessThan(0.1);
    expect(Math.abs(std - 3)).toBeLessThan(0.1);
    const u = arr(random.uniform(-2, 5, 20000));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(5);
    expect(Math.abs(u.reduce((s, v) => s + v, 0) / u.length - 1.5)).toBeLessThan(0.1);
  });

  it('permutation is a permutation of 0..n-1 in int32', () => {
    const p = random.permutation(50);
    expect(p.dtype).toBe('int32');
    expect(arr(p).sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
  });

  it('shapes and dtypes', () => {
    expect(random.normal(0, 1, [2, 0, 3]).shape).toEqual([2, 0, 3]);
    expect(random.uniform().shape).toEqual([]);
    expect(random.randn(2, 3).dtype).toBe('float32');
  });

  it('errors name the function and argument', () => {
    expect(() => random.seed(1.5)).toThrow(/random\.seed: argument 'seed' must be an integer, got 1.5/);
    expect(() => random.normal(0, -1, 2)).toThrow(/random\.normal: argument 'std' must be a finite number ≥ 0, got -1/);
    expect(() => random.uniform(1, 0, 2)).toThrow(/random\.uniform: .*low ≤ high, got 1 and 0/);
    expect(() => random.normal(0, 1, [2, -1])).toThrow(/random\.normal: argument 'size' must hold non-negative integers/);
    expect(() => random.permutation(-3)).toThrow(/random\.permutation: argument 'n' must be a non-negative integer, got -3/);
  });
});
