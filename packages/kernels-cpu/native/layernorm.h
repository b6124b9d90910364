// Standardisation over the last axis, the core of layer, group and instance norm:
// y = (x − mean) / sqrt(var + eps) per row of `cols` elements (biased variance).
#pragma once
#include "common.h"

namespace mge {

void standardize(const float* x, float* y, i64 rows, i64 cols, float eps);

// dx = (dy − mean(dy) − y·mean(dy·y)) / sqrt(var + eps), mean, var and y recomputed from x.
void standardize_backward(const float* x, const float* dy, float* dx, i64 rows, i64 cols, float eps);

// Layer norm with its affine step: y = x̂·w + b, w and b of cols values.
void standardize_affine(const float* x, const float* w, const float* b, float* y, i64 rows, i64 cols, float eps);

// dx of standardize_affine: standardize_backward of dy·w.
void standardize_affine_backward(const float* x, const float* w, const float* dy, float* dx, i64 rows, i64 cols, float eps);

// dw of standardize_affine (cols values): Σ over the rows of dy·x̂.
void standardize_weight_grad(const float* x, const float* dy, float* dw, i64 rows, i64 cols, float eps);

}  // namespace mge
