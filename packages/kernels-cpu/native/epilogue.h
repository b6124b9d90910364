// The fused epilogue of conv2d and matmul (core's Backend `Epilogue`): out = act(out + bias).
// Every GEMM and convolution path calls apply_epilogue on each block of its output right
// after writing it, while the block is still in L1, instead of a second pass over the tensor.
#pragma once
#include "common.h"

namespace mge {

struct Epilogue {
  // One value per row (conv2d: output channels are the GEMM's rows) or per column (matmul:
  // the last dim n) of the output, indexed from the output's own row/column 0.
  const float* bias = nullptr;
  bool per_row = false;
  bool relu = false;

  bool any() const { return bias != nullptr || relu; }
  // The same epilogue for the block of the output that starts at row i0, column j0.
  Epilogue at(i64 i0, i64 j0) const {
    Epilogue e = *this;
    if (bias) e.bias += per_row ? i0 : j0;
    return e;
  }
};

// Applies e to rows × cols of the output at c (row stride ldc); the block's first row and
// column are rows i0 and j0 of the output e indexes. Does nothing when e is empty.
void apply_epilogue(const Epilogue& e, float* c, i64 ldc, i64 i0, i64 j0, i64 rows, i64 cols);

}  // namespace mge
