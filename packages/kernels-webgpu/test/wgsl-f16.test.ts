import { describe, expect, it } from 'vitest';
import { GEMM_TINY, matmulKernel } from '../src/kernels/gemm.js';
import { toF16Storage } from '../src/wgsl.js';

describe('toF16Storage (the f16 storage rewrite)', () => {
  it('narrows float bindings, widens their reads and narrows their stores', () => {
    const src = `@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> I: array<i32>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;
fn f(i: u32) { Y[i + u32(I[i])] = X[i] * 2.0 + V[i >> 2u].x; if (X[i] == Y[i]) { Y[0] = 1.0; } }`;
    expect(toF16Storage(src)).toBe(`enable f16;
@group(0) @binding(1) var<storage, read> X: array<f16>;
@group(0) @binding(2) var<storage, read> V: array<vec4<f16>>;
@group(0) @binding(3) var<storage, read> I: array<i32>;
@group(0) @binding(4) var<storage, read_write> Y: array<f16>;
fn f(i: u32) { Y[i + u32(I[i])] = f16(f32(X[i]) * 2.0 + vec4<f32>(V[i >> 2u]).x); if (f32(X[i]) == f32(Y[i])) { Y[0] = f16(1.0); } }`);
  });

  it('leaves shaders without float storage untouched', () => {
    const src = '@group(0) @binding(1) var<storage, read_write> Y: array<u32>;\nfn f(i: u32) { Y[i] = 1u; }';
    expect(toF16Storage(src)).toBe(src);
  });

  it('rewrites a whole GEMM: workgroup tiles stay f32, only storage is f16', () => {
    const code = toF16Storage(matmulKernel(false, true, GEMM_TINY, { epi: { bias: true, relu: true }, vecA: true, vecB: false }).wgsl());
    expect(code).toContain('var<storage, read_write> A: array<vec4<f16>>;');
    expect(code).toContain('var<storage, read_write> Bias: array<f16>;');
    expect(code).toContain('var<workgroup> As: array<vec4<f32>,');
    expect(code).toContain('return vec4<f32>(A[');
    expect(code).toMatch(/C\[[^\n]*\] = f16\(v\);/);
    expect(code).not.toMatch(/[^(]\bB\[/); // every read of B is wrapped in f32(...)
  });
});
