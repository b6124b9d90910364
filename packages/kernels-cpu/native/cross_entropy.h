// Softmax cross-entropy over rows of logits with one class label per row (core's
// softmaxCrossEntropy): loss = log Σ exp(x) − x[label]; gradient (softmax − onehot)·dloss.
#pragma once
#include <cstdint>

#include "common.h"

namespace mge {

// loss[r] for rows × cols logits; a label outside [0, cols) gives NaN.
void softmax_cross_entropy(const float* x, const std::int32_t* labels, float* loss, i64 rows, i64 cols);

// dx = (softmax(x) − onehot(label))·dloss per row (NaN rows for labels outside [0, cols)).
void softmax_cross_entropy_backward(const float* x, const std::int32_t* labels, const float* dloss, float* dx, i64 rows, i64 cols);

}  // namespace mge
