// 1×1 convolutions for inference with the filter packed once (trace's optimizeForInference):
// y[n] = act(W·x[n] + bias + residual), a GEMM with M = output channels, K = input channels and
// N = H·W, whose A (the filter) is packed into the register tile's row panels ahead of time
// and whose epilogue runs in registers before the one store. The thread split is over N (and
// over M when N is small), so a batch-1 layer keeps every thread busy.
#pragma once
#include <cstdint>

#include "epilogue.h"
#include "ops.h"

namespace mge_pw {

// What a tile does after the last K block of a layer.
struct Finish {
  const float* bias;      // per-row values from the tile's first row, or null
  const float* residual;  // at the tile's own offset, row stride ldc, or null
  int act;                // epilogue.h's Act: 0 none, 1 relu, 2 relu6, 3 hardswish
};

using TileFn = void (*)(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc, int rows,
                        int cols, int accumulate, const Finish* fin);

// The tile reading x where it lies (row k at x + k·ldx) instead of a packed panel.
using DirectTileFn = void (*)(std::int64_t kc, const float* ap, const float* x, std::int64_t ldx, float* c,
                              std::int64_t ldc, int rows, int cols, int accumulate, const Finish* fin);

using GemvFn = void (*)(std::int64_t k, const float* x, const float* wp, float* y, int cols, const float* bias,
                       int act);

}  // namespace mge_pw

extern "C" {
void mge_pointwise_tile_direct_avx512(std::int64_t, const float*, const float*, std::int64_t, float*, std::int64_t, int,
                                      int, int, const mge_pw::Finish*);
void mge_pointwise_tile_direct_avx2(std::int64_t, const float*, const float*, std::int64_t, float*, std::int64_t, int,
                                    int, int, const mge_pw::Finish*);
void mge_gemv_block_avx512(std::int64_t, const float*, const float*, float*, int, const float*, int);
void mge_gemv_block_avx2(std::int64_t, const float*, const float*, float*, int, const float*, int);
void mge_pointwise_tile_avx512(std::int64_t, const float*, const float*, float*, std::int64_t, int, int, int,
                               const mge_pw::Finish*);
void mge_pointwise_tile_avx2(std::int64_t, const float*, const float*, float*, std::int64_t, int, int, int,
                             const mge_pw::Finish*);
}

namespace mge {

// Floats of the packed form of an [o, c] filter for the ISA in use (a 16-float header, then the
// filter in row panels of the register tile's height, zero-padded).
i64 pointwise_packed_length(i64 o, i64 c);
// Packs w [o, c] into dst (pointwise_packed_length(o, c) floats).
void pointwise_pack(const float* w, i64 o, i64 c, float* dst);
// Whether `packed` (len floats) holds an [o, c] filter packed by pointwise_pack: 1 yes, 0 it was
// packed for another ISA's tile (pack again), -1 it is not a packed [o, c] filter at all.
int pointwise_packed_check(const float* packed, i64 len, i64 o, i64 c);
// y [n, o, hw] = ep(packed · x [n, c, hw]); ep.bias (o values) is per output channel and
// ep.residual is read at y's addresses (epilogue.h).
void pointwise_conv2d(const float* x, const float* packed, float* y, i64 n, i64 c, i64 hw, i64 o, const Epilogue& ep);

// A spatial, ungrouped convolution (stems: few input channels) with its [o, c·kh·kw] filter packed
// by pointwise_pack: y = ep(conv(x, w)), one output row of patches at a time through the same tile.
void rowconv_conv2d(const float* x, const float* packed, float* y, const ConvParams& p, const Epilogue& ep);

// A 1×1, unpadded, ungrouped convolution of any stride (every sampled pixel inside the image),
// filter from pointwise_pack: the sampled pixels gathered, then pointwise_conv2d.
void pointwise_conv2d_strided(const float* x, const float* packed, float* y, const ConvParams& p, const Epilogue& ep);

// Linear layers for inference with the weight packed once: y [m, n] = relu?(x [m, k] · w [n, k]ᵀ
// + bias), the weight laid out in blocks of output features (k rows of the block's width), so a
// row of x meets it as one sequential stream at full vector width; blocks are split over threads.
i64 linear_packed_length(i64 n, i64 k);
void linear_pack(const float* w, i64 n, i64 k, float* dst);
// As pointwise_packed_check, for linear_pack's layout.
int linear_packed_check(const float* packed, i64 len, i64 n, i64 k);
// ep: bias per output feature (n values, not per row), relu.
void linear_packed(const float* x, const float* packed, float* y, i64 m, i64 n, i64 k, const Epilogue& ep);

}  // namespace mge
