// Row kernels of layer norm: 16-lane blocks of a row on the vector type of vec16.h (its sums
// kept in registers and folded by halving), the tail of a row that is not a multiple of 16
// element by element. Each function is compiled per ISA (target_clones).
#include "layernorm.h"

#include <algorithm>
#include <cmath>

#include "thread_pool.h"
#include "vec16.h"

namespace mge {
namespace {

#define MGE_LN_CLONES
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#undef MGE_LN_CLONES
#define MGE_LN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

constexpr i64 L = 16;

// mean and 1/sqrt(var + eps) of one row (two passes: the centred sum of squares, as before)
MGE_INLINE void moments(const float* x, i64 n, float eps, float* mean, float* rstd) {
  V16 acc{};
  i64 j = 0;
  for (; j + L <= n; j += L) acc += load16(x + j);
  float s = hsum(acc);
  for (; j < n; ++j) s += x[j];
  const float m = s / static_cast<float>(n);
  V16 sq{};
  for (j = 0; j + L <= n; j += L) {
    const V16 d = load16(x + j) - m;
    sq += d * d;
  }
  float q = hsum(sq);
  for (; j < n; ++j) q += (x[j] - m) * (x[j] - m);
  *mean = m;
  *rstd = 1.0f / std::sqrt(q / static_cast<float>(n) + eps);
}

// y = x̂ (w, b null) or x̂·w + b
template <bool kAffine>
MGE_INLINE void forward_row(const float* xr, const float* w, const float* b, float* yr, i64 cols, float eps) {
  float m, rs;
  moments(xr, cols, eps, &m, &rs);
  i64 j = 0;
  for (; j + L <= cols; j += L) {
    const V16 xh = (load16(xr + j) - m) * rs;
    store16(yr + j, kAffine ? xh * load16(w + j) + load16(b + j) : xh);
  }
  for (; j < cols; ++j) {
    const float xh = (xr[j] - m) * rs;
    yr[j] = kAffine ? xh * w[j] + b[j] : xh;
  }
}

// dx of one row from g = dy (w null) or dy·w: (g − mean(g) − x̂·mean(g·x̂))·rs
template <bool kAffine>
MGE_INLINE void backward_row(const float* xr, const float* gr, const float* w, float* dr, i64 cols, float eps) {
  float m, rs;
  moments(xr, cols, eps, &m, &rs);
  V16 ag{}, agy{};
  i64 j = 0;
  for (; j + L <= cols; j += L) {
    const V16 g = kAffine ? load16(gr + j) * load16(w + j) : load16(gr + j);
    ag += g;
    agy += g * ((load16(xr + j) - m) * rs);
  }
  float sg = hsum(ag), sgy = hsum(agy);
  for (i64 t = j; t < cols; ++t) {
    const float g = kAffine ? gr[t] * w[t] : gr[t];
    sg += g;
    sgy += g * ((xr[t] - m) * rs);
  }
  const float inv_n = 1.0f / static_cast<float>(cols);
  const float mg = sg * inv_n, mgy = sgy * inv_n;
  for (j = 0; j + L <= cols; j += L) {
    const V16 g = kAffine ? load16(gr + j) * load16(w + j) : load16(gr + j);
    store16(dr + j, (g - mg - ((load16(xr + j) - m) * rs) * mgy) * rs);
  }
  for (; j < cols; ++j) {
    const float g = kAffine ? gr[j] * w[j] : gr[j];
    dr[j] = (g - mg - ((xr[j] - m) * rs) * mgy) * rs;
  }
}

MGE_LN_CLONES
void forward_rows(const float* x, const float* w, const float* b, float* y, i64 r0, i64 r1, i64 cols, float eps) {
  if (w) {
    for (i64 r = r0; r < r1; ++r) forward_row<true>(x + r * cols, w, b, y + r * cols, cols, eps);
  } else {
    for (i64 r = r0; r < r1; ++r) forward_row<false>(x + r * cols, w, b, y + r * cols, cols, eps);
  }
}

MGE_LN_CLONES
void backward_rows(const float* x, const float* dy, const float* w, float* dx, i64 r0, i64 r1, i64 cols, float eps) {
  if (w) {
    for (i64 r = r0; r < r1; ++r) backward_row<true>(x + r * cols, dy + r * cols, w, dx + r * cols, cols, eps);
  } else {
    for (i64 r = r0; r < r1; ++r) backward_row<false>(x + r * cols, dy + r * cols, w, dx + r * cols, cols, eps);
  }
}

// dw[c0..c1) += Σ over the rows of dy·x̂ (each row's moments recomputed over the whole row).
MGE_LN_CLONES
void weight_grad_rows(const float* x, const float* dy, float* dw, i64 rows, i64 c0, i64 c1, i64 cols, float eps) {
  for (i64 r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    const float* gr = dy + r * cols;
    float m, rs;
    moments(xr, cols, eps, &m, &rs);
    i64 j = c0;
    for (; j + L <= c1; j += L) store16(dw + j, load16(dw + j) + load16(gr + j) * ((load16(xr + j) - m) * rs));
    for (; j < c1; ++j) dw[j] += gr[j] * ((xr[j] - m) * rs);
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
  split_rows(rows, cols, [&](i64 r0, i64 r1) { forward_rows(x, nullptr, nullptr, y, r0, r1, cols, eps); });
}

void standardize_backward(const float* x, const float* dy, float* dx, i64 rows, i64 cols, float eps) {
  if (cols == 0) return;
  split_rows(rows, cols, [&](i64 r0, i64 r1) { backward_rows(x, dy, nullptr, dx, r0, r1, cols, eps); });
}

void standardize_affine(const float* x, const float* w, const float* b, float* y, i64 rows, i64 cols, float eps) {
  if (cols == 0) return;
  split_rows(rows, cols, [&](i64 r0, i64 r1) { forward_rows(x, w, b, y, r0, r1, cols, eps); });
}

void standardize_affine_backward(const float* x, const float* w, const float* dy, float* dx, i64 rows, i64 cols, float eps) {
  if (cols == 0) return;
  split_rows(rows, cols, [&](i64 r0, i64 r1) { backward_rows(x, dy, w, dx, r0, r1, cols, eps); });
}

void standardize_weight_grad(const float* x, const float* dy, float* dw, i64 rows, i64 cols, float eps) {
  for (i64 j = 0; j < cols; ++j) dw[j] = 0;
  if (cols == 0 || rows == 0) return;
  // threads take column ranges, each recomputing every row's moments: no partial sums to merge
  const i64 chunk = 64;
  if (cols < 2 * chunk || rows * cols < (1 << 16)) {
    weight_grad_rows(x, dy, dw, rows, 0, cols, cols, eps);
    return;
  }
  parallel_for((cols + chunk - 1) / chunk, 1, [&](i64 b0, i64 b1) {
    weight_grad_rows(x, dy, dw, rows, b0 * chunk, std::min(cols, b1 * chunk), cols, eps);
  });
}

}  // namespace mge
