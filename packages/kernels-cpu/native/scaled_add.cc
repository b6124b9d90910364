#include "scaled_add.h"

#include "thread_pool.h"

// The products must be rounded before the sum (see the header): no contraction into FMA,
// which GCC allows by default for targets that have it (aarch64) and clang under -ffast-math.
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace mge {
namespace {

constexpr i64 kParallelElems = 1 << 16;  // the elementwise kernels' threshold: memory-bound

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
void range(const float* a, const float* b, float* out, i64 lo, i64 hi, float alpha, float beta) {
  for (i64 i = lo; i < hi; ++i) {
    const float x = alpha * a[i];
    const float y = beta * b[i];
    out[i] = x + y;
  }
}

}  // namespace

void scaled_add(const float* a, const float* b, float* out, i64 n, float alpha, float beta) {
  if (n < kParallelElems) {
    range(a, b, out, 0, n, alpha, beta);
    return;
  }
  parallel_for(n, kParallelElems / 2, [&](i64 lo, i64 hi) { range(a, b, out, lo, hi, alpha, beta); });
}

}  // namespace mge
