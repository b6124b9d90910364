// Depthwise 3×3, padding 1, stride 1 or 2 (MobileNet's and ShuffleNet's layers), AVX-512: 16
// outputs of a row are one vector. Each of its three input rows is read with masked loads at
// column offsets −1, 0, +1 (the masked-off lanes are the padding and touch no memory); stride 2
// takes the even and odd columns of 32 loaded values with two permutes. The general kernel's
// per-plane layout (a padded, phase-split copy of the plane, and a flattened pass copied back on
// small planes) costs more than these planes' multiply-adds. Built with -mavx512f in the simd
// library.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace {

using i64 = std::int64_t;

inline __m512 activate(__m512 v, int act) {
  // the elementwise table's rules (epilogue.cc): the second operand of max/min is kept when it
  // is NaN, so NaN passes as in `v < 0 ? 0 : v`
  const __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6.f);
  if (act == 1) return _mm512_max_ps(zero, v);
  if (act == 2) return _mm512_min_ps(six, _mm512_max_ps(zero, v));
  if (act == 3) {
    const __m512 t = _mm512_min_ps(six, _mm512_max_ps(zero, _mm512_add_ps(v, _mm512_set1_ps(3.f))));
    return _mm512_mul_ps(v, _mm512_mul_ps(t, _mm512_set1_ps(1.f / 6.f)));
  }
  return v;
}

// Lanes j in [0, n) with 0 ≤ start + j < w (as a mask of up to 32 lanes).
inline std::uint32_t inside(i64 start, i64 n, i64 w) {
  const i64 lo = std::max<i64>(0, -start), hi = std::min<i64>(n, w - start);
  if (hi <= lo) return 0;
  const std::uint32_t upto = hi >= 32 ? 0xFFFFFFFFu : (1u << hi) - 1u;
  const std::uint32_t below = lo >= 32 ? 0xFFFFFFFFu : (1u << lo) - 1u;
  return upto & ~below;
}

}  // namespace

// y (oh × ow) = act(bias + Σ taps ⋆ x) for one plane x (h × w), 3×3 taps w9, padding 1, stride s
// (1: oh = h, ow = w; 2: oh = ⌊(h − 1)/2⌋ + 1, ow = ⌊(w − 1)/2⌋ + 1); the caller checks the geometry.
extern "C" void mge_depthwise3x3_avx512(const float* x, std::int64_t h, std::int64_t w, const float* w9,
                                              float* y, std::int64_t oh, std::int64_t ow, int s, float bias,
                                              int act) {
  __m512 k[9];
  for (int i = 0; i < 9; ++i) k[i] = _mm512_set1_ps(w9[i]);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  for (i64 c0 = 0; c0 < ow; c0 += 16) {
    // the loads' masks depend on the columns only
    const i64 n = std::min<i64>(16, ow - c0), a = 2 * c0, m = 2 * n;
    const __mmask16 store = static_cast<__mmask16>(inside(0, n, n));
    __mmask16 mk[4];
    if (s == 1) {
      mk[0] = static_cast<__mmask16>(inside(c0 - 1, n, w));
      mk[1] = static_cast<__mmask16>(inside(c0, n, w));
      mk[2] = static_cast<__mmask16>(inside(c0 + 1, n, w));
    } else {
      mk[0] = static_cast<__mmask16>(inside(a, std::min<i64>(m, 16), w));
      mk[1] = m > 16 ? static_cast<__mmask16>(inside(a + 16, m - 16, w)) : 0;
      mk[2] = static_cast<__mmask16>(inside(a - 1, std::min<i64>(m, 16), w));
      mk[3] = m > 16 ? static_cast<__mmask16>(inside(a + 15, m - 16, w)) : 0;
    }
    for (i64 r = 0; r < oh; ++r) {
      __m512 acc = _mm512_set1_ps(bias);
      for (int ky = 0; ky < 3; ++ky) {
        const i64 iy = r * s + ky - 1;
        if (iy < 0 || iy >= h) continue;
        const float* row = x + iy * w;
        __m512 left, mid, right;
        if (s == 1) {
          // output c reads columns c − 1, c, c + 1
          left = _mm512_maskz_loadu_ps(mk[0], row + c0 - 1);
          mid = _mm512_maskz_loadu_ps(mk[1], row + c0);
          right = _mm512_maskz_loadu_ps(mk[2], row + c0 + 1);
        } else {
          // output c reads columns 2c − 1, 2c, 2c + 1: the even and odd lanes of 32 values
          // from 2c0, and the even lanes of 32 from 2c0 − 1
          const __m512 a0 = _mm512_maskz_loadu_ps(mk[0], row + a), a1 = _mm512_maskz_loadu_ps(mk[1], row + a + 16);
          const __m512 b0 = _mm512_maskz_loadu_ps(mk[2], row + a - 1), b1 = _mm512_maskz_loadu_ps(mk[3], row + a + 15);
          left = _mm512_permutex2var_ps(b0, even, b1);
          mid = _mm512_permutex2var_ps(a0, even, a1);
          right = _mm512_permutex2var_ps(a0, odd, a1);
        }
        acc = _mm512_fmadd_ps(k[3 * ky], left, acc);
        acc = _mm512_fmadd_ps(k[3 * ky + 1], mid, acc);
        acc = _mm512_fmadd_ps(k[3 * ky + 2], right, acc);
      }
      _mm512_mask_storeu_ps(y + r * ow + c0, store, activate(acc, act));
    }
  }
}
