// Depthwise 3×3, padding 1, on planes at most 16 outputs wide (MobileNet's and ShuffleNet's 14²
// and 7² layers), AVX-512: an output row is one vector. Its three input rows are read with masked
// loads at column offsets −1, 0, +1 (the masked-off lanes are the padding, and touch no memory);
// stride 2 takes the even and odd columns of a 32-wide row with two permutes. The general
// kernel's per-plane layout (a padded copy, a flattened pass, a copy back) costs more than these
// planes' 441–1,764 multiply-adds. Built with -mavx512f in the simd library.
#include <immintrin.h>

#include <cstdint>

namespace {

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

inline __mmask16 lanes(std::int64_t n) { return static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1u); }

}  // namespace

// y (oh × ow) = act(bias + Σ taps ⋆ x) for one plane x (h × w), 3×3 taps w9, padding 1, stride s
// (1: ow = w ≤ 16; 2: ow = ⌊(w − 1)/2⌋ + 1 ≤ 16, w ≤ 32); the caller checks the geometry.
extern "C" void mge_depthwise3x3_small_avx512(const float* x, std::int64_t h, std::int64_t w, const float* w9,
                                              float* y, std::int64_t oh, std::int64_t ow, int s, float bias,
                                              int act) {
  __m512 k[9];
  for (int i = 0; i < 9; ++i) k[i] = _mm512_set1_ps(w9[i]);
  const __mmask16 out = lanes(ow);
  if (s == 1) {
    // lane c reads column c − 1 (c ≥ 1), c, c + 1 (c + 1 < w)
    const __mmask16 mm = lanes(w), ml = static_cast<__mmask16>(mm & ~1u & lanes(w + 1)), mr = lanes(w - 1);
    for (std::int64_t r = 0; r < oh; ++r) {
      __m512 acc = _mm512_set1_ps(bias);
      for (int ky = 0; ky < 3; ++ky) {
        const std::int64_t iy = r + ky - 1;
        if (iy < 0 || iy >= h) continue;
        const float* row = x + iy * w;
        acc = _mm512_fmadd_ps(k[3 * ky], _mm512_maskz_loadu_ps(ml, row - 1), acc);
        acc = _mm512_fmadd_ps(k[3 * ky + 1], _mm512_maskz_loadu_ps(mm, row), acc);
        acc = _mm512_fmadd_ps(k[3 * ky + 2], _mm512_maskz_loadu_ps(mr, row + 1), acc);
      }
      _mm512_mask_storeu_ps(y + r * ow, out, activate(acc, act));
    }
    return;
  }
  // stride 2: lane c reads columns 2c − 1, 2c, 2c + 1 (zero past w from the masked loads)
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512i prev = _mm512_setr_epi32(0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
  const __mmask16 mlo = lanes(w), mhi = lanes(w > 16 ? w - 16 : 0);
  for (std::int64_t r = 0; r < oh; ++r) {
    __m512 acc = _mm512_set1_ps(bias);
    for (int ky = 0; ky < 3; ++ky) {
      const std::int64_t iy = 2 * r + ky - 1;
      if (iy < 0 || iy >= h) continue;
      const float* row = x + iy * w;
      const __m512 lo = _mm512_maskz_loadu_ps(mlo, row), hi = _mm512_maskz_loadu_ps(mhi, row + 16);
      const __m512 e = _mm512_permutex2var_ps(lo, even, hi), o = _mm512_permutex2var_ps(lo, odd, hi);
      const __m512 om1 = _mm512_maskz_permutexvar_ps(static_cast<__mmask16>(0xFFFE), prev, o);
      acc = _mm512_fmadd_ps(k[3 * ky], om1, acc);
      acc = _mm512_fmadd_ps(k[3 * ky + 1], e, acc);
      acc = _mm512_fmadd_ps(k[3 * ky + 2], o, acc);
    }
    _mm512_mask_storeu_ps(y + r * ow, out, activate(acc, act));
  }
}
