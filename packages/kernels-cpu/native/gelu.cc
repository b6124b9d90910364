// exp_f32/erf_f32's selects vectorise only when the compiler may evaluate both sides (the
// addon observes no FP traps).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "gelu.h"

#include "thread_pool.h"
#include "vec_math.h"

namespace mge {
namespace {

constexpr i64 kParallelElems = 1 << 14;  // compute-bound (an exp per element): split earlier than copies

template <class F>
void split(i64 n, F&& body) {
  if (n < kParallelElems) {
    body(0, n);
    return;
  }
  parallel_for(n, kParallelElems / 2, body);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void gelu_range(const float* x, float* y, i64 lo, i64 hi) {
  for (i64 i = lo; i < hi; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + erf_f32(v * 0.70710678118654752f));
  }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void gelu_backward_range(const float* x, const float* dy, float* dx, i64 lo, i64 hi) {
  for (i64 i = lo; i < hi; ++i) {
    const float v = x[i];
    const float cdf = 0.5f * (1.0f + erf_f32(v * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * exp_f32(-0.5f * v * v);
    dx[i] = dy[i] * (cdf + v * pdf);
  }
}

}  // namespace

void gelu(const float* x, float* y, i64 n) {
  split(n, [&](i64 lo, i64 hi) { gelu_range(x, y, lo, hi); });
}

void gelu_backward(const float* x, const float* dy, float* dx, i64 n) {
  split(n, [&](i64 lo, i64 hi) { gelu_backward_range(x, dy, dx, lo, hi); });
}

}  // namespace mge
