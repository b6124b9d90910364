// The transformer operators' argument checks (their values are in the conformance suite).

import { gelu, selfAttention, standardize, tensor, zeros } from '@mge/core';
import { describe, expect, it } from 'vitest';

describe('selfAttention, gelu and standardize name what is wrong', () => {
  it('selfAttention', () => {
    const qkv = zeros([2, 3, 12]);
    expect(() => selfAttention(zeros([3, 12]), 2)).toThrow(
      /selfAttention: argument 'qkv' must be 3-d \(B, T, 3·numHeads·headDim\), got shape \(3, 12\)/,
    );
    expect(() => selfAttention(qkv, 5)).toThrow(
      /selfAttention: the last axis of 'qkv' \(2, 3, 12\) must be 3·numHeads·headDim with numHeads = 5, got 12/,
    );
    expect(() => selfAttention(qkv, 0)).toThrow(/selfAttention: argument 'numHeads' must be a positive integer, got 0/);
    expect(() => selfAttention(qkv, 2, { scale: Number.NaN })).toThrow(/selfAttention: option 'scale' must be a finite number, got NaN/);
    expect(() => selfAttention(qkv, 2, { causal: 1 as never })).toThrow(/selfAttention: option 'causal' must be a boolean, got number/);
    expect(() => selfAttention(tensor([[[1, 2, 3]]], { dtype: 'int32' }), 1)).toThrow(
      /selfAttention: argument 'qkv' must be float32, got int32/,
    );
    expect(selfAttention(qkv, 2, { causal: true }).shape).toEqual([2, 3, 4]);
  });
  it('gelu and standardize', () => {
    expect(() => gelu(tensor([1, 2], { dtype: 'int32' }))).toThrow(/gelu: argument 'inp' must be float32, got int32/);
    expect(() => standardize(zeros([2, 3]), 3, 1e-5)).toThrow(
      /standardize: argument 'numAxes' must be an integer in \[1, 2\] for x \(2, 3\), got 3/,
    );
    expect(() => standardize(zeros([2, 3]), 1, 0)).toThrow(/standardize: argument 'eps' must be a positive finite number, got 0/);
  });
});
