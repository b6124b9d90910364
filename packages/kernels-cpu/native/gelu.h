// Exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2, and its gradient, one pass each.
#pragma once
#include "common.h"

namespace mge {

void gelu(const float* x, float* y, i64 n);

// dx = dy·(Φ(x) + x·φ(x))
void gelu_backward(const float* x, const float* dy, float* dx, i64 n);

}  // namespace mge
