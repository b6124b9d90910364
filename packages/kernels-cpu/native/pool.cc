// 2-D max and average pooling and their gradients. Windows are clipped to the
// image: padding never wins a max, and averages divide by the real cell count.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "gemm.h"
#include "ops.h"
#include "thread_pool.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MGE_POOL_AVX2 1
// The AVX2 functions below pass vectors only between themselves, inlined.
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

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

#if defined(MGE_POOL_AVX2)
// The AVX2 forms below run on the avx2 and avx512 paths (MGE_CPU_ISA): these passes are bound by
// memory at LeNet's widths, so eight lanes are as good as sixteen.
inline bool pool_avx2() {
  static const bool ok = __builtin_cpu_supports("avx2");
  const char* isa = gemm_isa();
  return ok && (std::strcmp(isa, "avx2") == 0 || std::strcmp(isa, "avx512") == 0);
}

// Lanes [0, n) of an AVX2 mask (n ≤ 0: none).
__attribute__((target("avx2"))) inline __m256i lanes_below(i64 n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Eight 2×2 windows from output column ox: the even and odd columns of both input rows. PART: a
// row of 4–7 windows, ox = 0, the columns past 2·ow masked off (read as 0, never touched).
// shuffle_ps of two 8-float loads holds windows 0,1,4,5 | 2,3,6,7.
template <bool PART>
__attribute__((target("avx2"))) inline void load_windows(const float* r0, const float* r1, i64 ox, i64 ow, __m256* a,
                                                         __m256* b, __m256* c, __m256* d) {
  const __m256 t0 = _mm256_loadu_ps(r0 + 2 * ox), u0 = _mm256_loadu_ps(r1 + 2 * ox);
  const __m256 t1 = PART ? _mm256_maskload_ps(r0 + 8, lanes_below(2 * ow - 8)) : _mm256_loadu_ps(r0 + 2 * ox + 8);
  const __m256 u1 = PART ? _mm256_maskload_ps(r1 + 8, lanes_below(2 * ow - 8)) : _mm256_loadu_ps(r1 + 2 * ox + 8);
  *a = _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0));
  *b = _mm256_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));
  *c = _mm256_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0));
  *d = _mm256_shuffle_ps(u0, u1, _MM_SHUFFLE(3, 1, 3, 1));
}

// Window order ↔ the shuffled order (64-bit pairs 0,2,1,3; its own inverse).
__attribute__((target("avx2"))) inline __m256 swap_pairs(__m256 v) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
}

// Eight windows of the 2×2 stride-2 max pool from ox: the same pairing as the SSE2 loop keeps
// the first maximum. Returns the lanes holding a NaN.
template <bool PART>
__attribute__((target("avx2"))) inline __m256 max_pool_group(const float* r0, const float* r1, float* o, i64 ox, i64 ow) {
  __m256 a, b, c, d;
  load_windows<PART>(r0, r1, ox, ow, &a, &b, &c, &d);
  const __m256 m = swap_pairs(_mm256_max_ps(_mm256_max_ps(d, c), _mm256_max_ps(b, a)));
  if (PART) _mm256_maskstore_ps(o, lanes_below(ow), m);
  else _mm256_storeu_ps(o + ox, m);
  return _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q), _mm256_cmp_ps(c, d, _CMP_UNORD_Q));
}

// One output row of the 2×2 stride-2 max pool (ow ≥ 4), eight windows at a time: a last partial
// group overlaps the previous one, a row of fewer than eight is one masked group. Returns whether
// the rows hold a NaN (the caller then redoes the row with the scalar rule).
__attribute__((target("avx2"))) bool max_pool2x2_row_avx2(const float* r0, const float* r1, float* o, i64 ow) {
  if (ow < 8) return _mm256_movemask_ps(max_pool_group<true>(r0, r1, o, 0, ow)) != 0;
  __m256 nan = _mm256_setzero_ps();
  for (i64 g8 = 0; g8 < ow; g8 += 8) nan = _mm256_or_ps(nan, max_pool_group<false>(r0, r1, o, g8 + 8 <= ow ? g8 : ow - 8, ow));
  return _mm256_movemask_ps(nan) != 0;
}
#endif

}  // namespace

void pool2d(bool is_max, const float* x, float* y, const PoolParams& p) {
  if (is_max && is_2x2s2(p)) {
#if defined(MGE_POOL_AVX2)
    const bool wide = p.ow >= 4 && pool_avx2();
#endif
    for_planes(p, [&](i64 plane) {
      const float* src = x + plane * p.h * p.w;
      float* dst = y + plane * p.oh * p.ow;
      for (i64 oy = 0; oy < p.oh; ++oy) {
        const float* r0 = src + 2 * oy * p.w;
        const float* r1 = r0 + p.w;
        float* o = dst + oy * p.ow;
        i64 ox = 0;
#if defined(MGE_POOL_AVX2)
        if (wide && !max_pool2x2_row_avx2(r0, r1, o, p.ow)) continue;
#endif
#if defined(__wasm_simd128__)
        // WebAssembly's pmax(a, b) is `a < b ? b : a`: the scalar loop's first-maximum rule, one
        // instruction, where the SSE2 masks below would be emulated. A group holding a NaN (its sum
        // is NaN; also ∞ − ∞, harmlessly) is left to the scalar loop.
        for (; ox + 4 <= p.ow; ox += 4) {
          const v128_t t0 = wasm_v128_load(r0 + 2 * ox), t1 = wasm_v128_load(r0 + 2 * ox + 4);
          const v128_t u0 = wasm_v128_load(r1 + 2 * ox), u1 = wasm_v128_load(r1 + 2 * ox + 4);
          const v128_t a = wasm_i32x4_shuffle(t0, t1, 0, 2, 4, 6), b = wasm_i32x4_shuffle(t0, t1, 1, 3, 5, 7);
          const v128_t c = wasm_i32x4_shuffle(u0, u1, 0, 2, 4, 6), d = wasm_i32x4_shuffle(u0, u1, 1, 3, 5, 7);
          const v128_t s = wasm_f32x4_add(wasm_f32x4_add(a, b), wasm_f32x4_add(c, d));
          if (wasm_i32x4_bitmask(wasm_f32x4_ne(s, s)) != 0) break;
          wasm_v128_store(o + ox, wasm_f32x4_pmax(wasm_f32x4_pmax(a, b), wasm_f32x4_pmax(c, d)));
        }
#elif defined(__SSE2__)
        // Four windows at a time. For numbers, max_ps(y, x) = y > x ? y : x keeps x on a tie, so
        // pairing (a, b), (c, d), then the two rows keeps the first maximum in row-major order, as
        // the scalar rule does (±0 ties included). A row with a NaN anywhere is redone by the scalar
        // loop, whose rule keeps the first NaN. A last partial group overlaps the previous one.
        if (p.ow >= 4) {
          __m128 nan = _mm_setzero_ps();
          for (i64 g = 0; g < p.ow; g += 4) {
            const i64 x4 = g + 4 <= p.ow ? g : p.ow - 4;
            const __m128 t0 = _mm_loadu_ps(r0 + 2 * x4), t1 = _mm_loadu_ps(r0 + 2 * x4 + 4);
            const __m128 u0 = _mm_loadu_ps(r1 + 2 * x4), u1 = _mm_loadu_ps(r1 + 2 * x4 + 4);
            const __m128 a = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0));
            const __m128 b = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));
            const __m128 c = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0));
            const __m128 d = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(3, 1, 3, 1));
            nan = _mm_or_ps(nan, _mm_or_ps(_mm_cmpunord_ps(a, b), _mm_cmpunord_ps(c, d)));
            _mm_storeu_ps(o + x4, _mm_max_ps(_mm_max_ps(d, c), _mm_max_ps(b, a)));
          }
          if (_mm_movemask_ps(nan) == 0) continue;
        }
#elif defined(__aarch64__)
        // The same masks with NEON; vld2q splits even and odd columns.
        for (; ox + 4 <= p.ow; ox += 4) {
          const float32x4x2_t t = vld2q_f32(r0 + 2 * ox), u = vld2q_f32(r1 + 2 * ox);
          const float32x4_t a = t.val[0], b = t.val[1], c = u.val[0], d = u.val[1];
          const uint32x4_t ok = vandq_u32(vandq_u32(vceqq_f32(a, a), vceqq_f32(b, b)), vandq_u32(vceqq_f32(c, c), vceqq_f32(d, d)));
          if (vminvq_u32(ok) == 0) break;
          const uint32x4_t e0 = vandq_u32(vandq_u32(vcgeq_f32(a, b), vcgeq_f32(a, c)), vcgeq_f32(a, d));
          const uint32x4_t e1 = vandq_u32(vandq_u32(vcgtq_f32(b, a), vcgeq_f32(b, c)), vcgeq_f32(b, d));
          const uint32x4_t e2 = vandq_u32(vandq_u32(vcgtq_f32(c, a), vcgtq_f32(c, b)), vcgeq_f32(c, d));
          const uint32x4_t e3 = vandq_u32(vandq_u32(vcgtq_f32(d, a), vcgtq_f32(d, b)), vcgtq_f32(d, c));
          const uint32x4_t v = vorrq_u32(vorrq_u32(vandq_u32(e0, vreinterpretq_u32_f32(a)), vandq_u32(e1, vreinterpretq_u32_f32(b))),
                                         vorrq_u32(vandq_u32(e2, vreinterpretq_u32_f32(c)), vandq_u32(e3, vreinterpretq_u32_f32(d))));
          vst1q_f32(o + ox, vreinterpretq_f32_u32(v));
        }
#endif
        for (; ox < p.ow; ++ox) {
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

namespace {

// v·sign(s) as mul_sign computes it: v where s > 0, −v where s < 0, v·s for ±0 and NaN (so that
// signed zeros and NaNs come out as mul(v, sign(s)) gives them).
inline float mul_sign1(float v, float s) {
  const float pos = s > 0 ? v : v * s;
  return s < 0 ? -v : pos;
}

#if defined(__SSE2__)
inline __m128 mul_sign4(__m128 v, __m128 s) {
  const __m128 zero = _mm_setzero_ps();
  const __m128 gt = _mm_cmpgt_ps(s, zero), lt = _mm_cmplt_ps(s, zero);
  const __m128 other = _mm_andnot_ps(_mm_or_ps(gt, lt), _mm_mul_ps(v, s));
  return _mm_or_ps(_mm_or_ps(_mm_and_ps(gt, v), _mm_and_ps(lt, _mm_xor_ps(v, _mm_set1_ps(-0.f)))), other);
}

// mul_sign4 for s that is not NaN (rows with a NaN are redone by the callers): v·s where s is
// ±0, else v with its sign flipped by s's sign bit.
inline __m128 mul_sign4_num(__m128 v, __m128 s) {
  const __m128 zero = _mm_cmpeq_ps(s, _mm_setzero_ps());
  const __m128 flipped = _mm_xor_ps(v, _mm_and_ps(s, _mm_set1_ps(-0.f)));
  return _mm_or_ps(_mm_and_ps(zero, _mm_mul_ps(v, s)), _mm_andnot_ps(zero, flipped));
}
#endif

#if defined(MGE_POOL_AVX2)
// The 2×2 stride-2 max pool's gradient (times sign(x) with `sign`) for output columns [0, ow) of
// one output row (ow ≥ 4), eight windows at a time as the forward pass groups them. Returns
// whether the rows hold a NaN (the caller then redoes them with the scalar NaN rule).
__attribute__((target("avx2"))) inline __m256 mul_sign8_num(__m256 v, __m256 s) {
  const __m256 zero = _mm256_cmp_ps(s, _mm256_setzero_ps(), _CMP_EQ_OQ);
  return _mm256_blendv_ps(_mm256_xor_ps(v, _mm256_and_ps(s, _mm256_set1_ps(-0.f))), _mm256_mul_ps(v, s), zero);
}

// Eight windows' gradient from ox (PART as in load_windows); returns the lanes holding a NaN.
// unpacklo/hi of two shuffled vectors restore the loads' layout, so only dy needs swap_pairs.
template <bool sign, bool PART>
__attribute__((target("avx2"))) inline __m256 pool_grad_group(const float* r0, const float* r1, const float* gr, float* d0,
                                                              float* d1, i64 ox, i64 ow) {
  __m256 a, b, c, d;
  load_windows<PART>(r0, r1, ox, ow, &a, &b, &c, &d);
  // Without NaNs, x > y is !(y >= x): six comparisons decide the first maximum.
  const __m256 ab = _mm256_cmp_ps(a, b, _CMP_GE_OQ), ac = _mm256_cmp_ps(a, c, _CMP_GE_OQ);
  const __m256 ad = _mm256_cmp_ps(a, d, _CMP_GE_OQ), bc = _mm256_cmp_ps(b, c, _CMP_GE_OQ);
  const __m256 bd = _mm256_cmp_ps(b, d, _CMP_GE_OQ), cd = _mm256_cmp_ps(c, d, _CMP_GE_OQ);
  const __m256 g = PART ? _mm256_maskload_ps(gr, lanes_below(ow)) : _mm256_loadu_ps(gr + ox);
  const __m256 gv = _mm256_add_ps(_mm256_setzero_ps(), swap_pairs(g));
  __m256 o0 = _mm256_and_ps(_mm256_and_ps(ab, _mm256_and_ps(ac, ad)), gv);
  __m256 o1 = _mm256_andnot_ps(ab, _mm256_and_ps(_mm256_and_ps(bc, bd), gv));
  __m256 o2 = _mm256_andnot_ps(_mm256_or_ps(ac, bc), _mm256_and_ps(cd, gv));
  __m256 o3 = _mm256_andnot_ps(_mm256_or_ps(_mm256_or_ps(ad, bd), cd), gv);
  if (sign) {
    o0 = mul_sign8_num(o0, a);
    o1 = mul_sign8_num(o1, b);
    o2 = mul_sign8_num(o2, c);
    o3 = mul_sign8_num(o3, d);
  }
  _mm256_storeu_ps(d0 + 2 * ox, _mm256_unpacklo_ps(o0, o1));
  _mm256_storeu_ps(d1 + 2 * ox, _mm256_unpacklo_ps(o2, o3));
  if (PART) {
    const __m256i hi = lanes_below(2 * ow - 8);
    _mm256_maskstore_ps(d0 + 8, hi, _mm256_unpackhi_ps(o0, o1));
    _mm256_maskstore_ps(d1 + 8, hi, _mm256_unpackhi_ps(o2, o3));
  } else {
    _mm256_storeu_ps(d0 + 2 * ox + 8, _mm256_unpackhi_ps(o0, o1));
    _mm256_storeu_ps(d1 + 2 * ox + 8, _mm256_unpackhi_ps(o2, o3));
  }
  return _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q), _mm256_cmp_ps(c, d, _CMP_UNORD_Q));
}

template <bool sign>
__attribute__((target("avx2"))) bool pool2x2_row_avx2(const float* r0, const float* r1, const float* gr, float* d0,
                                                      float* d1, i64 ow) {
  if (ow < 8) return _mm256_movemask_ps(pool_grad_group<sign, true>(r0, r1, gr, d0, d1, 0, ow)) != 0;
  __m256 nan = _mm256_setzero_ps();
  for (i64 g8 = 0; g8 < ow; g8 += 8)
    nan = _mm256_or_ps(nan, pool_grad_group<sign, false>(r0, r1, gr, d0, d1, g8 + 8 <= ow ? g8 : ow - 8, ow));
  return _mm256_movemask_ps(nan) != 0;
}

#endif

// d[i] = d[i]·sign(s[i])
inline void sign_row(float* d, const float* s, i64 n) {
  i64 i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(d + i, mul_sign4(_mm_loadu_ps(d + i), _mm_loadu_ps(s + i)));
#endif
  for (; i < n; ++i) d[i] = mul_sign1(d[i], s[i]);
}

// The max (or average) pool's gradient; with `sign`, each cell's gradient times sign(x) at that
// cell, as relu's gradient would multiply it next when x is a relu output — one pass, not two.
template <bool sign>
void pool_backward(bool is_max, const float* x, const float* dy, float* dx, const PoolParams& p) {
  if (is_max && is_2x2s2(p)) {
    // Windows tile the image, so each input cell is written exactly once: the gradient
    // where the window's first maximum sits, 0 elsewhere (no zero-fill, no scatter). The
    // gradient is added to +0 as the scattering form (and PyTorch) add it, so −0 comes out +0.
#if defined(MGE_POOL_AVX2)
    const bool wide = p.ow >= 4 && pool_avx2();
#endif
    for_planes(p, [&](i64 plane) {
      const float* src = x + plane * p.h * p.w;
      const float* g = dy + plane * p.oh * p.ow;
      float* dst = dx + plane * p.h * p.w;
      for (i64 oy = 0; oy < p.oh; ++oy) {
        const float* r0 = src + 2 * oy * p.w;
        const float* r1 = r0 + p.w;
        float* d0 = dst + 2 * oy * p.w;
        float* d1 = d0 + p.w;
        const float* gr = g + oy * p.ow;
        // First-maximum masks without branches (random data would mispredict every one),
        // four windows at a time with SSE2 or NEON; a row holding a NaN is redone below with
        // first_max4's NaN rule.
        bool nan = false;
        i64 ox = 0;
#if defined(MGE_POOL_AVX2)
        if (wide) {
          nan = pool2x2_row_avx2<sign>(r0, r1, gr, d0, d1, p.ow);
          ox = p.ow;
        }
#endif
#if defined(__SSE2__)
        // A last partial group overlaps the previous one (it writes the same values again).
        const bool narrow = p.ow >= 4 && ox == 0;
        for (i64 g4 = 0; narrow && g4 < p.ow; g4 += 4) {
          const i64 ox = g4 + 4 <= p.ow ? g4 : p.ow - 4;
          const __m128 t0 = _mm_loadu_ps(r0 + 2 * ox), t1 = _mm_loadu_ps(r0 + 2 * ox + 4);
          const __m128 u0 = _mm_loadu_ps(r1 + 2 * ox), u1 = _mm_loadu_ps(r1 + 2 * ox + 4);
          const __m128 a = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0));
          const __m128 b = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1));
          const __m128 c = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0));
          const __m128 d = _mm_shuffle_ps(u0, u1, _MM_SHUFFLE(3, 1, 3, 1));
          nan |= _mm_movemask_ps(_mm_or_ps(_mm_cmpunord_ps(a, b), _mm_cmpunord_ps(c, d))) != 0;
          // Without NaNs (a row with one is redone below), x > y is !(y >= x): six comparisons
          // decide the first maximum.
          const __m128 ab = _mm_cmpge_ps(a, b), ac = _mm_cmpge_ps(a, c), ad = _mm_cmpge_ps(a, d);
          const __m128 bc = _mm_cmpge_ps(b, c), bd = _mm_cmpge_ps(b, d), cd = _mm_cmpge_ps(c, d);
          const __m128 gv = _mm_add_ps(_mm_setzero_ps(), _mm_loadu_ps(gr + ox));
          __m128 o0 = _mm_and_ps(_mm_and_ps(ab, _mm_and_ps(ac, ad)), gv);
          __m128 o1 = _mm_andnot_ps(ab, _mm_and_ps(_mm_and_ps(bc, bd), gv));
          __m128 o2 = _mm_andnot_ps(_mm_or_ps(ac, bc), _mm_and_ps(cd, gv));
          __m128 o3 = _mm_andnot_ps(_mm_or_ps(_mm_or_ps(ad, bd), cd), gv);
          if (sign) {
            o0 = mul_sign4_num(o0, a);
            o1 = mul_sign4_num(o1, b);
            o2 = mul_sign4_num(o2, c);
            o3 = mul_sign4_num(o3, d);
          }
          _mm_storeu_ps(d0 + 2 * ox, _mm_unpacklo_ps(o0, o1));
          _mm_storeu_ps(d0 + 2 * ox + 4, _mm_unpackhi_ps(o0, o1));
          _mm_storeu_ps(d1 + 2 * ox, _mm_unpacklo_ps(o2, o3));
          _mm_storeu_ps(d1 + 2 * ox + 4, _mm_unpackhi_ps(o2, o3));
        }
        if (p.ow >= 4) ox = p.ow;
#endif
#if defined(__aarch64__)
        for (; ox + 4 <= p.ow; ox += 4) {
          const float32x4x2_t t = vld2q_f32(r0 + 2 * ox), u = vld2q_f32(r1 + 2 * ox);
          const float32x4_t a = t.val[0], b = t.val[1], c = u.val[0], d = u.val[1];
          const uint32x4_t ok = vandq_u32(vandq_u32(vceqq_f32(a, a), vceqq_f32(b, b)), vandq_u32(vceqq_f32(c, c), vceqq_f32(d, d)));
          nan |= vminvq_u32(ok) == 0;
          const uint32x4_t e0 = vandq_u32(vandq_u32(vcgeq_f32(a, b), vcgeq_f32(a, c)), vcgeq_f32(a, d));
          const uint32x4_t e1 = vandq_u32(vandq_u32(vcgtq_f32(b, a), vcgeq_f32(b, c)), vcgeq_f32(b, d));
          const uint32x4_t e2 = vandq_u32(vandq_u32(vcgtq_f32(c, a), vcgtq_f32(c, b)), vcgeq_f32(c, d));
          const uint32x4_t e3 = vandq_u32(vandq_u32(vcgtq_f32(d, a), vcgtq_f32(d, b)), vcgtq_f32(d, c));
          const uint32x4_t gv = vreinterpretq_u32_f32(vaddq_f32(vdupq_n_f32(0.f), vld1q_f32(gr + ox)));
          float32x4x2_t top, bottom;  // vst2q interleaves the even and odd columns back
          top.val[0] = vreinterpretq_f32_u32(vandq_u32(e0, gv));
          top.val[1] = vreinterpretq_f32_u32(vandq_u32(e1, gv));
          bottom.val[0] = vreinterpretq_f32_u32(vandq_u32(e2, gv));
          bottom.val[1] = vreinterpretq_f32_u32(vandq_u32(e3, gv));
          vst2q_f32(d0 + 2 * ox, top);
          vst2q_f32(d1 + 2 * ox, bottom);
        }
#endif
        for (; ox < p.ow; ++ox) {
          const float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
          nan |= (a != a) | (b != b) | (c != c) | (d != d);
          const bool e0 = (a >= b) & (a >= c) & (a >= d);
          const bool e1 = (b > a) & (b >= c) & (b >= d);
          const bool e2 = (c > a) & (c > b) & (c >= d);
          const bool e3 = (d > a) & (d > b) & (d > c);
          const float gv = 0.f + gr[ox];
          d0[2 * ox] = e0 ? gv : 0.f;
          d0[2 * ox + 1] = e1 ? gv : 0.f;
          d1[2 * ox] = e2 ? gv : 0.f;
          d1[2 * ox + 1] = e3 ? gv : 0.f;
          if (sign) {
            sign_row(d0 + 2 * ox, r0 + 2 * ox, 2);
            sign_row(d1 + 2 * ox, r1 + 2 * ox, 2);
          }
        }
        if (nan) {
          for (ox = 0; ox < p.ow; ++ox) {
            const int k = first_max4(r0[2 * ox], r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1]);
            const float gv = 0.f + gr[ox];
            d0[2 * ox] = k == 0 ? gv : 0.f;
            d0[2 * ox + 1] = k == 1 ? gv : 0.f;
            d1[2 * ox] = k == 2 ? gv : 0.f;
            d1[2 * ox + 1] = k == 3 ? gv : 0.f;
          }
          if (sign) {
            sign_row(d0, r0, 2 * p.ow);
            sign_row(d1, r1, 2 * p.ow);
          }
        }
        for (i64 ix = 2 * p.ow; ix < p.w; ++ix) {  // odd width: uncovered column
          d0[ix] = sign ? mul_sign1(0.f, r0[ix]) : 0.f;
          d1[ix] = sign ? mul_sign1(0.f, r1[ix]) : 0.f;
        }
      }
      for (i64 iy = 2 * p.oh; iy < p.h; ++iy) {
        std::memset(dst + iy * p.w, 0, sizeof(float) * p.w);
        if (sign) sign_row(dst + iy * p.w, src + iy * p.w, p.w);
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
    if (sign) sign_row(dst, src, p.h * p.w);
  });
}

}  // namespace

void pool2d_backward(bool is_max, const float* x, const float* dy, float* dx, const PoolParams& p) {
  pool_backward<false>(is_max, x, dy, dx, p);
}

void max_pool2d_sign_backward(const float* x, const float* dy, float* dx, const PoolParams& p) {
  pool_backward<true>(true, x, dy, dx, p);
}

}  // namespace mge
