#include "elementwise_program.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops.h"
#include "scalar.h"
#include "thread_pool.h"

namespace mge {
namespace {

// Elements per tile: the registers of a whole program stay in L1 (16 instructions · 1 KB).
constexpr i64 kTile = 256;
// Below this many elements a program runs on the calling thread.
constexpr i64 kParallelElems = i64(1) << 15;

// The expressions are the rows of @mge/core's elementwise table (ops_generated.h), as the
// one-by-one kernels of elementwise.cc compute them, so a fused chain gives the same floats.
void unary_tile(int op, const float* x, float* o, i64 len) {
  switch (op) {
#define MGE_CASE(code, heavy, ...)                     \
  case code:                                           \
    for (i64 i = 0; i < len; ++i) {                    \
      const float v = x[i];                            \
      o[i] = __VA_ARGS__;                              \
    }                                                  \
    return;
    MGE_UNARY_F32(MGE_CASE)
#undef MGE_CASE
    default:
      return;
  }
}

void binary_tile(int op, const float* xs, const float* ys, float* o, i64 len) {
  switch (op) {
#define MGE_CASE(code, ...)                            \
  case code:                                           \
    for (i64 i = 0; i < len; ++i) {                    \
      const float x = xs[i], y = ys[i];                \
      o[i] = __VA_ARGS__;                              \
    }                                                  \
    return;
    MGE_BINARY_F32(MGE_CASE)
#undef MGE_CASE
    default:
      return;
  }
}

void run_range(const FusedInstr* code, int count, const float* const* inputs, const bool* scalar, int ninputs,
               float* out, i64 begin, i64 end) {
  // registers of the instructions, then the broadcast scalar inputs (filled once)
  thread_local std::vector<float> regs;
  regs.resize(static_cast<std::size_t>((count + ninputs) * kTile));
  float* r = regs.data();
  float* bc = r + count * kTile;
  for (int k = 0; k < ninputs; ++k)
    if (scalar[k]) std::fill(bc + k * kTile, bc + (k + 1) * kTile, inputs[k][0]);
  for (i64 t = begin; t < end; t += kTile) {
    const i64 len = std::min(kTile, end - t);
    auto src = [&](int a) -> const float* {
      if (a >= 0) return r + a * kTile;
      const int k = -1 - a;
      return scalar[k] ? bc + k * kTile : inputs[k] + t;
    };
    for (int j = 0; j < count; ++j) {
      const FusedInstr& in = code[j];
      float* dst = j == count - 1 ? out + t : r + j * kTile;
      if (in.kind == 0)
        unary_tile(in.op, src(in.a), dst, len);
      else
        binary_tile(in.op, src(in.a), src(in.b), dst, len);
    }
  }
}

}  // namespace

void elementwise_program(const FusedInstr* code, int count, const float* const* inputs, const bool* scalar, int ninputs,
                       float* out, i64 n) {
  if (n == 0 || count == 0) return;
  if (n < kParallelElems) return run_range(code, count, inputs, scalar, ninputs, out, 0, n);
  const i64 tiles = (n + kTile - 1) / kTile;
  parallel_for(tiles, (kParallelElems / 2) / kTile, [&](i64 b, i64 e) {
    run_range(code, count, inputs, scalar, ninputs, out, b * kTile, std::min(n, e * kTile));
  });
}

}  // namespace mge
