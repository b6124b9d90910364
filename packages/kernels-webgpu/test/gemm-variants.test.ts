import { describe, expect, it } from 'vitest';
import { convVec, GEMM_SQUARE, matmulKernel, matmulVec } from '../src/kernels/gemm.js';

// Which GEMM pipeline a shape gets; the differential tests then check each variant's values.
describe('GEMM vec4 staging choice', () => {
  it('uses vec4 loads exactly where the contiguous dimension is a multiple of 4', () => {
    expect(matmulVec({ m: 64, n: 48, k: 36, transA: false, transB: false })).toEqual({ vecA: true, vecB: true });
    expect(matmulVec({ m: 20, n: 24, k: 43, transA: true, transB: false })).toEqual({ vecA: true, vecB: true });
    expect(matmulVec({ m: 36, n: 67, k: 28, transA: false, transB: true })).toEqual({ vecA: true, vecB: true });
    expect(matmulVec({ m: 33, n: 45, k: 24, transA: false, transB: false })).toEqual({ vecA: true, vecB: false });
    expect(matmulVec({ m: 21, n: 44, k: 35, transA: false, transB: false })).toEqual({ vecA: false, vecB: true });
    expect(matmulVec({ m: 37, n: 53, k: 19, transA: true, transB: true })).toEqual({ vecA: false, vecB: false });
    // LeNet at batch 64: conv1 (1·5·5 = 25) stays scalar, conv2's filter gradient (8·8 pixels) is vec4
    const conv1 = { c: 1, groups: 1, kh: 5, kw: 5, oh: 28, ow: 28 };
    expect(convVec('forward', conv1)).toEqual({ vecA: false, vecB: false });
    expect(convVec('backwardFilter', conv1)).toEqual({ vecA: true, vecB: false });
    expect(convVec('forward', { c: 4, groups: 1, kh: 2, kw: 2, oh: 6, ow: 6 })).toEqual({ vecA: true, vecB: false });
    expect(convVec('backwardInput', { c: 3, groups: 1, kh: 2, kw: 2, oh: 5, ow: 5 })).toEqual({ vecA: true, vecB: false });
    expect(convVec('backwardFilter', { c: 3, groups: 1, kh: 3, kw: 3, oh: 5, ow: 7 })).toEqual({ vecA: false, vecB: false });
  });

  it('gives each variant its own pipeline, with vec4 bindings only where asked', () => {
    const plain = matmulKernel(false, false, GEMM_SQUARE);
    const vec = matmulKernel(false, false, GEMM_SQUARE, { epi: { bias: true, relu: true }, vecA: true, vecB: false });
    expect(plain.key).toBe('gemm_matmul_nn_8x8x32');
    expect(vec.key).toBe('gemm_matmul_nn_8x8x32_vak_ebr');
    expect(plain.wgsl()).not.toContain('vec4<f32>>;');
    const src = vec.wgsl();
    // every binding is read_write: operands share arena chunks (see storage() in src/wgsl.ts)
    expect(src).toContain('var<storage, read_write> A: array<vec4<f32>>;');
    expect(src).toContain('var<storage, read_write> B: array<f32>;');
    expect(src).toContain('var<storage, read_write> Bias: array<f32>;');
    expect(src).toContain('var<storage, read_write> C: array<f32>;');
  });
});
