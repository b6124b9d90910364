// AVX-512 micro-kernel, compiled with -mavx512f. Only reached when the CPU reports avx512f.
// Nothing here may have external linkage except the entry point (no inline library code),
// so no AVX-512 instruction can leak into code the portable path shares.
#include <immintrin.h>
#include <stdint.h>

namespace {
constexpr int MR = 14;
}

extern "C" void mge_sgemm_kernel_avx512_14x32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc,
                                              int accumulate) {
  // The tile of C is written (and read, when accumulating) after the loop: start fetching it now
  // so its misses overlap the FMAs instead of following them.
  for (int i = 0; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 31), _MM_HINT_T0);
  }
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  // Two k steps per iteration: 88–90 % of the FMA peak with the panels in cache, against 82 %
  // for one (four ran slower). Neither A nor B is prefetched here: both stream in order and the
  // hardware prefetchers keep up (explicit prefetches measured no faster).
  auto step = [&](const float* a, const float* b) __attribute__((always_inline)) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 14
    for (int i = 0; i < MR; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
  };
  int64_t p = 0;
  for (; p + 2 <= kc; p += 2) {
    step(ap, bp);
    step(ap + MR, bp + 32);
    ap += 2 * MR;
    bp += 64;
  }
  if (p < kc) step(ap, bp);
  for (int i = 0; i < MR; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_loadu_ps(row));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_loadu_ps(row + 16));
    }
    _mm512_storeu_ps(row, acc[i][0]);
    _mm512_storeu_ps(row + 16, acc[i][1]);
  }
}

// The FMA peak of this path: iters steps of 12 independent FMA chains; 384 flops per step.
// Each chain starts from its own value: chains that start equal compute equal values, and GCC
// merges them into one latency-bound chain (which then reports 1.5× the real peak).
extern "C" void mge_fma_loop_avx512(int64_t iters, float* out) {
  const __m512 m = _mm512_set1_ps(0.999999f), d = _mm512_set1_ps(1e-7f);
  __m512 a0 = _mm512_set1_ps(1.f), a1 = _mm512_set1_ps(1.01f), a2 = _mm512_set1_ps(1.02f);
  __m512 a3 = _mm512_set1_ps(1.03f), a4 = _mm512_set1_ps(1.04f), a5 = _mm512_set1_ps(1.05f);
  __m512 a6 = _mm512_set1_ps(1.06f), a7 = _mm512_set1_ps(1.07f), a8 = _mm512_set1_ps(1.08f);
  __m512 a9 = _mm512_set1_ps(1.09f), a10 = _mm512_set1_ps(1.10f), a11 = _mm512_set1_ps(1.11f);
  for (int64_t i = 0; i < iters; ++i) {
    a0 = _mm512_fmadd_ps(a0, m, d);
    a1 = _mm512_fmadd_ps(a1, m, d);
    a2 = _mm512_fmadd_ps(a2, m, d);
    a3 = _mm512_fmadd_ps(a3, m, d);
    a4 = _mm512_fmadd_ps(a4, m, d);
    a5 = _mm512_fmadd_ps(a5, m, d);
    a6 = _mm512_fmadd_ps(a6, m, d);
    a7 = _mm512_fmadd_ps(a7, m, d);
    a8 = _mm512_fmadd_ps(a8, m, d);
    a9 = _mm512_fmadd_ps(a9, m, d);
    a10 = _mm512_fmadd_ps(a10, m, d);
    a11 = _mm512_fmadd_ps(a11, m, d);
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  _mm512_storeu_ps(out, s);
}
