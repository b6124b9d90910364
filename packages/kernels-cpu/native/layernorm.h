// Standardisation over the last axis, the core of layer, group and instance norm:
// y = (x − mean) / sqrt(var + eps) per row of `cols` elements (biased variance).
#pragma once
#include "common.h"

namespace mge {

void standardize(const float* x, float* y, i64 rows, i64 cols, float eps);

// dx = (dy − mean(dy) − y·mean(dy·y)) / sqrt(var + eps), mean, var and y recomputed from x.
void standardize_backward(const float* x, const float* dy, float* dx, i64 rows, i64 cols, float eps);

}  // namespace mge
