#include "layernorm.h"

#include <cmath>

#include "thread_pool.h"

namespace mge {
namespace {

constexpr int L = 16;  // running sums per row (the loops vectorise; one chain would not reassociate)

// always_inline: the target clones below must get vectorised copies, not calls to the SSE2 version
__attribute__((always_inline)) inline float row_sum(const float* x, i64 n) {
  float acc[L] = {};
  i64 j = 0;
  for (; j + L <= n; j += L)
    for (int l = 0; l < L; ++l) acc[l] += x[j + l];
  float s = 0;
  for (; j < n; ++j) s += x[j];
  for (int l = 0; l < L; ++l) s += acc[l];
  return s;
}

__attribute__((always_inline)) inline float row_sq_dev(const float* x, i64 n, float mean) {
  float acc[L] = {};
  i64 j = 0;
  for (; j + L <= n; j += L)
    for (int l = 0; l < L; ++l) {
      const float d = x[j + l] - mean;
      acc[l] += d * d;
    }
  float s = 0;
  for (; j < n; ++j) s += (x[j] - mean) * (x[j] - mean);
  for (int l = 0; l < L; ++l) s += acc[l];
  return s;
}

// mean and sqrt(var + eps) of one row
__attribute__((always_inline)) inline void moments(const float* x, i64 n, float eps, float* mean, float* stdev) {
  const float m = row_sum(x, n) / static_cast<float>(n);
  *mean = m;
  *stdev = std::sqrt(row_sq_dev(x, n, m) / static_cast<float>(n) + eps);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void forward_rows(const float* x, float* y, i64 r0, i64 r1, i64 cols, float eps) {
  for (i64 r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float m, s;
    moments(xr, cols, eps, &m, &s);
    const float rs = 1.0f / s;
    for (i64 j = 0; j < cols; ++j) yr[j] = (xr[j] - m) * rs;
  }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void backward_rows(const float* x, const float* dy, float* dx, i64 r0, i64 r1, i64 cols, float eps) {
  const float inv_n = 1.0f / static_cast<float>(cols);
  for (i64 r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    const float* gr = dy + r * cols;
    float* dr = dx + r * cols;
    float m, s;
    moments(xr, cols, eps, &m, &s);
    const float rs = 1.0f / s;
    float acc_g[L] = {}, acc_gy[L] = {};
    i64 j = 0;
    for (; j + L <= cols; j += L)
      for (int l = 0; l < L; ++l) {
        const float g = gr[j + l];
        acc_g[l] += g;
        acc_gy[l] += g * ((xr[j + l] - m) * rs);
      }
    float sg = 0, sgy = 0;
    for (; j < cols; ++j) {
      sg += gr[j];
      sgy += gr[j] * ((xr[j] - m) * rs);
    }
    for (int l = 0; l < L; ++l) {
      sg += acc_g[l];
      sgy += acc_gy[l];
    }
    const float mg = sg * inv_n, mgy = sgy * inv_n;
    for (j = 0; j < cols; ++j) dr[j] = (gr[j] - mg - ((xr[j] - m) * rs) * mgy) * rs;
  }
}

template <class F>
void split_rows(i64 rows, i64 cols, F&& body) {
  // rows of a few hundred elements each: a job of at least ~16k elements
  const i64 grain = cols >= (1 << 14) ? 1 : (1 << 14) / cols;
  if (rows <= grain) {
    body(0, rows);
    return;
  }
  parallel_for(rows, grain, body);
}

}  // namespace

void standardize(const float* x, float* y, i64 rows, i64 cols, float eps) {
  if (cols == 0) return;
  split_rows(rows, cols, [&](i64 r0, i64 r1) { forward_rows(x, y, r0, r1, cols, eps); });
}

void standardize_backward(const float* x, const float* dy, float* dx, i64 rows, i64 cols, float eps) {
  if (cols == 0) return;
  split_rows(rows, cols, [&](i64 r0, i64 r1) { backward_rows(x, dy, dx, r0, r1, cols, eps); });
}

}  // namespace mge
