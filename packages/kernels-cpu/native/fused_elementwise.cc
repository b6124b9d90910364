#include "fused_elementwise.h"

#include "thread_pool.h"

// scaled_add's products must be rounded before the sum (see the header): no contraction into
// FMA, which GCC allows by default on targets that have it (aarch64) and clang under fast-math.
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace mge {
namespace {

constexpr i64 kParallelElems = 1 << 16;  // the elementwise kernels' threshold: memory-bound

template <class F>
void split(i64 n, F&& body) {
  if (n < kParallelElems) {
    body(0, n);
    return;
  }
  parallel_for(n, kParallelElems / 2, body);
}

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
void scaled_add_range(const float* a, const float* b, float* out, i64 lo, i64 hi, float alpha, float beta) {
  for (i64 i = lo; i < hi; ++i) {
    const float x = alpha * a[i];
    const float y = beta * b[i];
    out[i] = x + y;
  }
}

// Independent selects (not a nested ternary) so that the loop vectorises; as for sign_f32 in
// elementwise.cc, SSE2's selects make it compute-bound, so GCC also builds AVX2 and AVX-512
// clones and picks one at load time.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void mul_sign_range(const float* a, const float* b, float* out, i64 lo, i64 hi) {
  for (i64 i = lo; i < hi; ++i) {
    const float s = b[i];
    const float v = a[i];
    // sign(s) is 1, -1, or s itself (±0, NaN): a·s there keeps mul's signed zeros and NaNs
    const float pos = s > 0 ? v : v * s;
    out[i] = s < 0 ? -v : pos;
  }
}

}  // namespace

void scaled_add(const float* a, const float* b, float* out, i64 n, float alpha, float beta) {
  split(n, [&](i64 lo, i64 hi) { scaled_add_range(a, b, out, lo, hi, alpha, beta); });
}

void mul_sign(const float* a, const float* b, float* out, i64 n) {
  split(n, [&](i64 lo, i64 hi) { mul_sign_range(a, b, out, lo, hi); });
}

}  // namespace mge
