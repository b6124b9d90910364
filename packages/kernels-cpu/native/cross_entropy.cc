// One pass for the row max, one for Σ exp (vec_math.h's exp, which vectorises), and for the
// gradient one more writing softmax − onehot; rows split over threads.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "cross_entropy.h"

#include <cmath>
#include <limits>

#include "thread_pool.h"
#include "vec_math.h"

namespace mge {
namespace {

#define MGE_CE_CLONES
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#undef MGE_CE_CLONES
#define MGE_CE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

// log Σ exp(x) of one row, shifted by its max (a max of ±∞ shifts by 0, as core's logsumexp)
__attribute__((always_inline)) inline float log_sum_exp(const float* x, i64 n) {
  float m = -std::numeric_limits<float>::infinity();
  for (i64 j = 0; j < n; ++j) m = x[j] > m ? x[j] : m;
  if (std::isinf(m)) m = 0;
  float s = 0;
  for (i64 j = 0; j < n; ++j) s += exp_f32(x[j] - m);
  return std::log(s) + m;
}

MGE_CE_CLONES
void loss_rows(const float* x, const std::int32_t* labels, float* loss, i64 r0, i64 r1, i64 cols) {
  for (i64 r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    const std::int32_t c = labels[r];
    loss[r] = c >= 0 && c < cols ? log_sum_exp(xr, cols) - xr[c] : std::numeric_limits<float>::quiet_NaN();
  }
}

MGE_CE_CLONES
void grad_rows(const float* x, const std::int32_t* labels, const float* dloss, float* dx, i64 r0, i64 r1, i64 cols) {
  for (i64 r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    float* dr = dx + r * cols;
    const std::int32_t c = labels[r];
    if (c < 0 || c >= cols) {
      for (i64 j = 0; j < cols; ++j) dr[j] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    const float lse = log_sum_exp(xr, cols);
    const float g = dloss[r];
    for (i64 j = 0; j < cols; ++j) dr[j] = exp_f32(xr[j] - lse) * g;
    dr[c] -= g;
  }
}

template <class F>
void split(i64 rows, i64 cols, F&& body) {
  const i64 grain = cols >= (1 << 13) ? 1 : (1 << 13) / cols;  // an exp per element: ~8k a job
  if (rows <= grain) {
    body(0, rows);
    return;
  }
  parallel_for(rows, grain, body);
}

}  // namespace

void softmax_cross_entropy(const float* x, const std::int32_t* labels, float* loss, i64 rows, i64 cols) {
  if (cols == 0) return;
  split(rows, cols, [&](i64 r0, i64 r1) { loss_rows(x, labels, loss, r0, r1, cols); });
}

void softmax_cross_entropy_backward(const float* x, const std::int32_t* labels, const float* dloss, float* dx, i64 rows, i64 cols) {
  if (cols == 0) return;
  split(rows, cols, [&](i64 r0, i64 r1) { grad_rows(x, labels, dloss, dx, r0, r1, cols); });
}

}  // namespace mge
