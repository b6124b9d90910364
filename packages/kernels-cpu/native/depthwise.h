// Depthwise convolution (groups == c; o = c·M, output channel c·M + m reads input channel c):
// direct loops over NCHW planes. The GEMM path's im2col copies K² times the input to multiply
// 1-row matrices, which makes MobileNet/ShuffleNet layers tens of times slower than this.
#pragma once
#include "epilogue.h"
#include "ops.h"

namespace mge {

// Each requires p.groups == p.c (the caller checks).
void depthwise_conv2d(const float* x, const float* w, float* y, const ConvParams& p, const Epilogue& ep = {});
void depthwise_conv2d_backward_input(const float* dy, const float* w, float* dx, const ConvParams& p);
void depthwise_conv2d_backward_filter(const float* x, const float* dy, float* dw, const ConvParams& p);

}  // namespace mge
