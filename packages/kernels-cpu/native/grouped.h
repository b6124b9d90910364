// Grouped convolution (1 < groups < c: ResNeXt, ShuffleNet v1) at stride 1 as a direct convolution
// per group: each group is a small convolution (a few to a few dozen channels in and out) whose
// im2col GEMM wastes most of a micro-kernel tile and packs more than it multiplies.
#pragma once
#include "epilogue.h"
#include "ops.h"

namespace mge {

// Each returns false, having done nothing, when the shape (stride > 1, groups == 1) or the ISA in
// use (the portable path) has no direct kernel; the caller then runs its im2col GEMMs.
bool grouped_conv2d(const float* x, const float* w, float* y, const ConvParams& p, const Epilogue& ep);
bool grouped_conv2d_backward_input(const float* dy, const float* w, float* dx, const ConvParams& p);
bool grouped_conv2d_backward_filter(const float* x, const float* dy, float* dw, const ConvParams& p);

}  // namespace mge
