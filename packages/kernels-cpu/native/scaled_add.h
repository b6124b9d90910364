// out = alpha·a + beta·b over float32 arrays of one size: the update step of the optimizers
// (MegEngine's InplaceAdd, without the in-place), one pass instead of two scalings and an add.
#pragma once
#include "common.h"

namespace mge {

// Each product is rounded to float32 before the sum (no fused multiply-add), so the result
// equals mul(a, alpha) + mul(b, beta) computed as three separate kernels, bit for bit.
void scaled_add(const float* a, const float* b, float* out, i64 n, float alpha, float beta);

}  // namespace mge
