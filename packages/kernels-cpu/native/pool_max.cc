// Max pooling as two passes per output row: the kh input rows of the window (clipped to the
// image) are reduced column by column into a row padded with −∞ on both sides, then that row is
// reduced over kw with the stride. Each input row is read once per output row that covers it,
// with full-width vector maxima, instead of a bounds-checked walk over every window (ResNet's and
// ShuffleNet's 3×3/2 pads-1 stem pool took 5.4 ms in the window walk, 0.3 ms here).
//
// Values: max_ps(v, m) keeps m on a tie, so each pass keeps the first maximum it meets. A zero's
// sign may differ from the row-major first maximum when +0 and −0 tie in one window (they compare
// equal). A plane holding a NaN is redone by pool.cc's window walk, which keeps its NaN rule.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops.h"
#include "thread_pool.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mge {
namespace {

constexpr i64 kParallelElems = 1 << 15;

// m[i] = max(m[i], r[i]) for i < n (m first on a tie); returns whether r held a NaN.
inline bool max_into(float* m, const float* r, i64 n) {
  i64 i = 0;
  bool nan = false;
#if defined(__SSE2__)
  __m128 un = _mm_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    const __m128 a = _mm_loadu_ps(r + i), b = _mm_loadu_ps(r + i + 4);
    un = _mm_or_ps(un, _mm_or_ps(_mm_cmpunord_ps(a, a), _mm_cmpunord_ps(b, b)));
    _mm_storeu_ps(m + i, _mm_max_ps(a, _mm_loadu_ps(m + i)));
    _mm_storeu_ps(m + i + 4, _mm_max_ps(b, _mm_loadu_ps(m + i + 4)));
  }
  nan = _mm_movemask_ps(un) != 0;
#endif
  for (; i < n; ++i) {
    const float v = r[i];
    nan |= v != v;
    m[i] = v > m[i] ? v : m[i];
  }
  return nan;
}

// One output row from the padded column maxima t (t[0] is input column −pw).
inline void reduce_row(const float* t, float* o, i64 ow, i64 kw, i64 sw) {
  i64 ox = 0;
#if defined(__SSE2__)
  if (kw == 3 && sw == 2) {
    for (; ox + 4 <= ow; ox += 4) {
      const float* s = t + 2 * ox;
      const __m128 t0 = _mm_loadu_ps(s), t1 = _mm_loadu_ps(s + 4);
      const __m128 u0 = _mm_loadu_ps(s + 2), u1 = _mm_loadu_ps(s + 6);
      const __m128 a = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0));
      const __m128 b = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));
      const __m128 c = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0));
      _mm_storeu_ps(o + ox, _mm_max_ps(c, _mm_max_ps(b, a)));
    }
  } else if (sw == 1) {
    for (; ox + 4 <= ow; ox += 4) {
      __m128 m = _mm_loadu_ps(t + ox);
      for (i64 k = 1; k < kw; ++k) m = _mm_max_ps(_mm_loadu_ps(t + ox + k), m);
      _mm_storeu_ps(o + ox, m);
    }
  }
#endif
  for (; ox < ow; ++ox) {
    const float* s = t + ox * sw;
    float m = s[0];
    for (i64 k = 1; k < kw; ++k) m = s[k] > m ? s[k] : m;
    o[ox] = m;
  }
}

}  // namespace

bool max_pool2d_rows(const float* x, float* y, const PoolParams& p) {
  // Windows must fit the padded row (pool.cc's walk clips any other geometry); 2×2/2 unpadded
  // has its own kernel there.
  const bool two_by_two = p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 && p.ph == 0 && p.pw == 0;
  if (two_by_two || p.ph >= p.kh || p.pw >= p.kw) return false;
  const i64 tw = std::max(p.w + 2 * p.pw, (p.ow - 1) * p.sw + p.kw) + 8;
  const i64 planes = p.n * p.c;
  const i64 per_plane = std::max(p.h * p.w, p.oh * p.ow * p.kh);
  auto body = [&](i64 b, i64 e) {
    std::vector<float> buf(static_cast<size_t>(tw), -INFINITY);
    float* t = buf.data();
    for (i64 plane = b; plane < e; ++plane) {
      const float* src = x + plane * p.h * p.w;
      float* dst = y + plane * p.oh * p.ow;
      bool nan = false;
      for (i64 oy = 0; oy < p.oh; ++oy) {
        const i64 top = oy * p.sh - p.ph;
        const i64 y0 = std::max<i64>(0, top), y1 = std::min(p.h, top + p.kh);
        float* row = t + p.pw;
        if (y0 >= y1) {
          std::fill(row, row + p.w, -INFINITY);
        } else {
          std::copy(src + y0 * p.w, src + (y0 + 1) * p.w, row);
          for (i64 iy = y0; iy < y1; ++iy) nan |= max_into(row, src + iy * p.w, p.w);
        }
        reduce_row(t, dst + oy * p.ow, p.ow, p.kw, p.sw);
      }
      if (nan) {
        PoolParams one = p;
        one.n = 1;
        one.c = 1;
        pool2d(true, src, dst, one);
      }
    }
  };
  if (planes * per_plane < kParallelElems || planes == 1) {
    body(0, planes);
  } else {
    parallel_for(planes, std::max<i64>(1, kParallelElems / 2 / std::max<i64>(1, per_plane)), body);
  }
  return true;
}

}  // namespace mge
