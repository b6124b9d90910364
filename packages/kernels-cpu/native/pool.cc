// 2-D max and average pooling and their gradients. Windows are clipped to the
// image: padding never wins a max, and averages divide by the real cell count.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops.h"
#include "thread_pool.h"

namespace mge {
namespace {

constexpr i64 kParallelElems = 1 << 15;

struct Window {
  i64 y0, y1, x0, x1;
};

inline Window window(const PoolParams& p, i64 oy, i64 ox) {
  const i64 top = oy * p.sh - p.ph, left = ox * p.sw - p.pw;
  Window w{std::max<i64>(0, top), std::min(p.h, top + p.kh), std::max<i64>(0, left), std::min(p.w, left + p.kw)};
  return w;
}

// Index within the plane of the window's first maximum (NaN beats everything, the first NaN
// is kept), or -1 when the window has no real cell.
inline i64 argmax_window(const float* plane, i64 w, const Window& win) {
  i64 best = -1;
  float bv = -INFINITY;
  for (i64 iy = win.y0; iy < win.y1; ++iy) {
    const float* row = plane + iy * w;
    for (i64 ix = win.x0; ix < win.x1; ++ix) {
      const float v = row[ix];
      if (best < 0 || v > bv || (v != v && bv == bv)) {
        best = iy * w + ix;
        bv = v;
      }
    }
  }
  return best;
}

inline i64 cells(const Window& win) { return std::max<i64>(0, win.y1 - win.y0) * std::max<i64>(0, win.x1 - win.x0); }

template <class F>
void for_planes(const PoolParams& p, F&& f) {
  const i64 planes = p.n * p.c;
  const i64 work = planes * std::max(p.h * p.w, p.oh * p.ow * p.kh * p.kw);
  auto body = [&](i64 b, i64 e) {
    for (i64 i = b; i < e; ++i) f(i);
  };
  if (work < kParallelElems || planes == 1) {
    body(0, planes);
  } else {
    parallel_for(planes, std::max<i64>(1, kParallelElems / 2 / std::max<i64>(1, work / planes)), body);
  }
}

// The common 2×2, stride-2, unpadded max pool, without the generic window walk.
// Same tie and NaN rules as argmax_window: the first maximum in row-major order wins.
inline bool is_2x2s2(const PoolParams& p) {
  return p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 && p.ph == 0 && p.pw == 0 && p.oh * 2 <= p.h &&
         p.ow * 2 <= p.w;
}

inline int first_max4(float a, float b, float c, float d) {
  int best = 0;
  float bv = a;
  const float v[3] = {b, c, d};
  for (int i = 0; i < 3; ++i)
    if (v[i] > bv || (v[i] != v[i] && bv == bv)) {
      best = i + 1;
      bv = v[i];
    }
  return best;
}

}  // namespace

void pool2d(bool is_max, const float* x, float* y, const PoolParams& p) {
  if (is_max && is_2x2s2(p)) {
    for_planes(p, [&](i64 plane) {
      const float* src = x + plane * p.h * p.w;
      float* dst = y + plane * p.oh * p.ow;
      for (i64 oy = 0; oy < p.oh; ++oy) {
        const float* r0 = src + 2 * oy * p.w;
        const float* r1 = r0 + p.w;
        float* o = dst + oy * p.ow;
        for (i64 ox = 0; ox < p.ow; ++ox) {
          const float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
          const bool nan = a != a || b != b || c != c || d != d;
          if (!nan) {
            const float m0 = a >= b ? a : b, m1 = c >= d ? c : d;
            o[ox] = m0 >= m1 ? m0 : m1;
          } else {
            const int k = first_max4(a, b, c, d);
            o[ox] = k == 0 ? a : k == 1 ? b : k == 2 ? c : d;
          }
        }
      }
    });
    return;
  }
  for_planes(p, [&](i64 plane) {
    const float* src = x + plane * p.h * p.w;
    float* dst = y + plane * p.oh * p.ow;
    for (i64 oy = 0; oy < p.oh; ++oy) {
      for (i64 ox = 0; ox < p.ow; ++ox) {
        const Window win = window(p, oy, ox);
        if (is_max) {
          const i64 i = argmax_window(src, p.w, win);
          dst[oy * p.ow + ox] = i < 0 ? -INFINITY : src[i];
        } else {
          const i64 count = cells(win);
          double sum = 0;
          for (i64 iy = win.y0; iy < win.y1; ++iy)
            for (i64 ix = win.x0; ix < win.x1; ++ix) sum += src[iy * p.w + ix];
          dst[oy * p.ow + ox] = count == 0 ? 0.f : static_cast<float>(sum / count);
        }
      }
    }
  });
}

void pool2d_backward(bool is_max, const float* x, const float* dy, float* dx, const PoolParams& p) {
  if (is_max && is_2x2s2(p)) {
    for_planes(p, [&](i64 plane) {
      const float* src = x + plane * p.h * p.w;
      const float* g = dy + plane * p.oh * p.ow;
      float* dst = dx + plane * p.h * p.w;
      if (p.h * p.w > 0) std::memset(dst, 0, sizeof(float) * p.h * p.w);
      for (i64 oy = 0; oy < p.oh; ++oy) {
        const i64 r0 = 2 * oy * p.w, r1 = r0 + p.w;
        for (i64 ox = 0; ox < p.ow; ++ox) {
          const i64 c0 = 2 * ox;
          const int k = first_max4(src[r0 + c0], src[r0 + c0 + 1], src[r1 + c0], src[r1 + c0 + 1]);
          const i64 at = (k < 2 ? r0 : r1) + c0 + (k & 1);
          dst[at] += g[oy * p.ow + ox];
        }
      }
    });
    return;
  }
  for_planes(p, [&](i64 plane) {
    const float* src = x + plane * p.h * p.w;
    const float* g = dy + plane * p.oh * p.ow;
    float* dst = dx + plane * p.h * p.w;
    if (p.h * p.w > 0) std::memset(dst, 0, sizeof(float) * p.h * p.w);
    for (i64 oy = 0; oy < p.oh; ++oy) {
      for (i64 ox = 0; ox < p.ow; ++ox) {
        const Window win = window(p, oy, ox);
        const float gv = g[oy * p.ow + ox];
        if (is_max) {
          const i64 i = argmax_window(src, p.w, win);
          if (i >= 0) dst[i] += gv;
        } else {
          const i64 count = cells(win);
          if (count == 0) continue;
          const float share = gv / static_cast<float>(count);
          for (i64 iy = win.y0; iy < win.y1; ++iy)
            for (i64 ix = win.x0; ix < win.x1; ++ix) dst[iy * p.w + ix] += share;
        }
      }
    }
  });
}

}  // namespace mge
