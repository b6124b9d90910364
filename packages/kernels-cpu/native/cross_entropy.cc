// One pass for the row max, one for Σ exp, and for the gradient one more writing softmax − onehot,
// 16 lanes at a time on vec16.h's vector type (a float sum or max in a plain loop would stay
// scalar: the compiler may not reorder it); rows split over threads.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "cross_entropy.h"

#include <cmath>
#include <limits>

#include "thread_pool.h"
#include "vec16.h"
#include "vec_math.h"

namespace mge {
namespace {

#define MGE_CE_CLONES
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#undef MGE_CE_CLONES
#define MGE_CE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

constexpr i64 L = 16;

// log Σ exp(x) of one row, shifted by its max (a max of ±∞ shifts by 0, as core's logsumexp)
MGE_INLINE float log_sum_exp(const float* x, i64 n) {
  const float ninf = -std::numeric_limits<float>::infinity();
  V16 mv = splat(ninf);
  i64 j = 0;
  for (; j + L <= n; j += L) {
    const V16 v = load16(x + j);
    mv = v > mv ? v : mv;
  }
  float m = hmax(mv);
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  if (std::isinf(m)) m = 0;
  V16 sv{};
  for (j = 0; j + L <= n; j += L) sv += exp16(load16(x + j) - m);
  float s = hsum(sv);
  for (; j < n; ++j) s += exp_f32(x[j] - m);
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
    i64 j = 0;
    for (; j + L <= cols; j += L) store16(dr + j, exp16(load16(xr + j) - lse) * g);
    for (; j < cols; ++j) dr[j] = exp_f32(xr[j] - lse) * g;
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
