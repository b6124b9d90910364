#pragma once
#include "ops.h"

namespace mge {
// Max pooling by rows (pool_max.cc); false when the geometry is left to pool2d (2×2/2 unpadded,
// padding as wide as the window).
bool max_pool2d_rows(const float* x, float* y, const PoolParams& p);
}  // namespace mge
