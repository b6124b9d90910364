// 3×3, stride-1 convolutions (ResNet's and VGG's bulk) by Winograd's minimal filtering: F(4×4, 3×3)
// (each 4×4 block of outputs costs 36 multiplies per (input, output) channel pair instead of 144, as
// 36 GEMMs over transformed 6×6 input tiles) where a layer has enough 4×4 tiles, else F(2×2, 3×3)
// (16 multiplies per 2×2 block instead of 36). conv.cc picks it (winograd_*_fits) for all three passes.
#pragma once
#include "ops.h"

namespace mge {

// True when the Winograd path applies and pays: 3×3 kernel, stride 1, dilation 1, one group, padding ≤ 2,
// and enough channels and output tiles for its GEMMs to be efficient.
bool winograd_fits(const ConvParams& p);
// … and pays for this pass (measured against im2col on ResNet-18/50 shapes).
bool winograd_forward_fits(const ConvParams& p);  // also the input gradient
bool winograd_filter_fits(const ConvParams& p);

void winograd_conv2d(const float* x, const float* w, float* y, const ConvParams& p, const Epilogue& ep);
// The input gradient of a stride-1 3×3 convolution is itself one (flipped, transposed filters;
// padding 2 − p), so it runs through the same forward.
void winograd_conv2d_backward_input(const float* dy, const float* w, float* dx, const ConvParams& p);
void winograd_conv2d_backward_filter(const float* x, const float* dy, float* dw, const ConvParams& p);

}  // namespace mge
