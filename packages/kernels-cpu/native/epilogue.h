// The fused epilogue of conv2d and matmul (core's Backend `Epilogue`, and the optional
// `conv2dEpilogue`): out = act(out + bias + residual). Every GEMM and convolution path calls
// apply_epilogue on each block of its output right after writing it, while the block is still in
// L1, instead of further passes over the tensor.
#pragma once
#include "common.h"

namespace mge {

// The activations an epilogue applies last (the codes the addon receives).
enum class Act : int { kNone = 0, kRelu = 1, kRelu6 = 2, kHardswish = 3 };

struct Epilogue {
  // One value per row (conv2d: output channels are the GEMM's rows) or per column (matmul:
  // the last dim n) of the output, indexed from the output's own row/column 0.
  const float* bias = nullptr;
  bool per_row = false;
  // relu is Act::kRelu, kept as its own flag for the kernels that fuse it themselves.
  bool relu = false;
  Act act = Act::kNone;
  // A tensor of the output's layout added before the activation (a residual connection):
  // the element for output address c is residual[c - out]. Kernels that compute a block in
  // scratch memory apply such an epilogue after storing the block in the output.
  const float* residual = nullptr;
  const float* out = nullptr;

  bool any() const { return bias != nullptr || relu || act != Act::kNone || residual != nullptr; }
  // Beyond bias + relu: what kernels that fuse bias and relu themselves leave to apply_epilogue.
  bool extended() const { return residual != nullptr || (act != Act::kNone && act != Act::kRelu); }
  // The same epilogue for the block of the output that starts at row i0, column j0.
  Epilogue at(i64 i0, i64 j0) const {
    Epilogue e = *this;
    if (bias) e.bias += per_row ? i0 : j0;
    return e;
  }
  // What is left once the bias has been added.
  Epilogue without_bias() const {
    Epilogue e = *this;
    e.bias = nullptr;
    return e;
  }
};

// Applies e to rows × cols of the output at c (row stride ldc); the block's first row and
// column are rows i0 and j0 of the output e indexes. Does nothing when e is empty.
void apply_epilogue(const Epilogue& e, float* c, i64 ldc, i64 i0, i64 j0, i64 rows, i64 cols);

}  // namespace mge
