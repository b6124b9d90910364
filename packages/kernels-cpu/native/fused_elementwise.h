// Elementwise compositions a training step runs on every parameter or activation, as one pass
// over memory each instead of two or three kernels and their intermediate buffers. Each equals,
// bit for bit, the kernels it replaces (core relies on that: eager, traced and composed
// defaults give the same numbers).
#pragma once
#include "common.h"

namespace mge {

// out = alpha·a + beta·b: the optimizers' updates (MegEngine's InplaceAdd, without the in-place).
// Each product is rounded to float32 before the sum (no fused multiply-add), as mul, mul, add.
void scaled_add(const float* a, const float* b, float* out, i64 n, float alpha, float beta);

// out = a·sign(b): relu's gradient from its output (b ≥ 0 or NaN there), as mul(a, sign(b)).
void mul_sign(const float* a, const float* b, float* out, i64 n);

}  // namespace mge
