// AVX-512 micro-kernel, compiled with -mavx512f. Only reached when the CPU reports avx512f.
// Nothing here may have external linkage except the entry point (no inline library code),
// so no AVX-512 instruction can leak into code the portable path shares.
#include <immintrin.h>
#include <stdint.h>

namespace {

// One row of the tile: its two sums plus C's row (when accumulating), loaded before any store.
#define MGE_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

}  // namespace

extern "C" void mge_sgemm_kernel_avx512_14x32(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc,
                                              int accumulate) {
  constexpr int MR = 14;
  // The 28 sums are named variables (see gemm_kernel_avx2.cc): as an array GCC kept them in
  // registers inside the loop but went through the stack for every one of them after it.
#define MGE_DECL(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();
  MGE_ROWS(MGE_DECL)
#undef MGE_DECL
  // Two k steps per iteration: 90–95 % of the FMA peak with the panels in cache, against 82 %
  // for one (four ran slower). Neither A nor B is prefetched here: both stream in order and the
  // hardware prefetchers keep up (explicit prefetches measured no faster).
#define MGE_FMA(i)                                    \
  {                                                   \
    const __m512 av = _mm512_set1_ps(a[i]);           \
    c##i##0 = _mm512_fmadd_ps(av, b0, c##i##0);       \
    c##i##1 = _mm512_fmadd_ps(av, b1, c##i##1);       \
  }
#define MGE_STEP(aoff, boff)                          \
  {                                                   \
    const float* a = ap + (aoff);                     \
    const __m512 b0 = _mm512_load_ps(bp + (boff));    \
    const __m512 b1 = _mm512_load_ps(bp + (boff) + 16); \
    MGE_ROWS(MGE_FMA)                                 \
  }
  // The tile of C is written (and read, when accumulating) after the loop, so its lines are
  // fetched during the loop: one row per iteration of the first 14, not all 28 lines at once. A
  // burst of 28 misses holds the line-fill buffers the A and B loads of the first steps need
  // (1024³: +3 % on Sapphire Rapids).
  int64_t p = 0;
  int i = 0;
  for (; p + 2 <= kc && i < MR; p += 2, ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 31), _MM_HINT_T0);
    MGE_STEP(0, 0)
    MGE_STEP(MR, 32)
    ap += 2 * MR;
    bp += 64;
  }
  for (; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 31), _MM_HINT_T0);
  }
  for (; p + 2 <= kc; p += 2) {
    MGE_STEP(0, 0)
    MGE_STEP(MR, 32)
    ap += 2 * MR;
    bp += 64;
  }
  if (p < kc) MGE_STEP(0, 0)
#undef MGE_STEP
#undef MGE_FMA
  // Every load of C before the first store: rows ldc apart share their low 12 address bits when
  // ldc is a multiple of 1024 floats, and a load behind a store to the row above waits on a false
  // (4K-aliased) dependence.
  if (accumulate) {
#define MGE_LOAD(i)                                                 \
  c##i##0 = _mm512_add_ps(c##i##0, _mm512_loadu_ps(c + (i) * ldc)); \
  c##i##1 = _mm512_add_ps(c##i##1, _mm512_loadu_ps(c + (i) * ldc + 16));
    MGE_ROWS(MGE_LOAD)
#undef MGE_LOAD
  }
#define MGE_STORE(i)                        \
  _mm512_storeu_ps(c + (i) * ldc, c##i##0); \
  _mm512_storeu_ps(c + (i) * ldc + 16, c##i##1);
  MGE_ROWS(MGE_STORE)
#undef MGE_STORE
#undef MGE_ROWS
}

namespace {

// The last, partial panel of A (R < 14 rows; the packed panel keeps its 14-float stride): only
// R rows of FMAs, stored straight to C. An output of 64 channels is 4 full panels and one of 8
// rows, which the full kernel would compute as 14 (8.6 % of all FMAs wasted; 43 % at 16 rows).
template <int R>
void rows_kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int accumulate) {
  constexpr int AS = 14;
  __m512 acc[R][2];
  for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_load_ps(bp);
    const __m512 b1 = _mm512_load_ps(bp + 16);
#pragma GCC unroll 14
    for (int i = 0; i < R; ++i) {
      const __m512 av = _mm512_set1_ps(ap[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
    ap += AS;
    bp += 32;
  }
  if (accumulate) {
    for (int i = 0; i < R; ++i) {
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_loadu_ps(c + i * ldc));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_loadu_ps(c + i * ldc + 16));
    }
  }
  for (int i = 0; i < R; ++i) {
    _mm512_storeu_ps(c + i * ldc, acc[i][0]);
    _mm512_storeu_ps(c + i * ldc + 16, acc[i][1]);
  }
}

}  // namespace

extern "C" void mge_sgemm_kernel_avx512_rows(int64_t rows, int64_t kc, const float* ap, const float* bp, float* c,
                                             int64_t ldc, int accumulate) {
  switch (rows) {
    case 1: return rows_kernel<1>(kc, ap, bp, c, ldc, accumulate);
    case 2: return rows_kernel<2>(kc, ap, bp, c, ldc, accumulate);
    case 3: return rows_kernel<3>(kc, ap, bp, c, ldc, accumulate);
    case 4: return rows_kernel<4>(kc, ap, bp, c, ldc, accumulate);
    case 5: return rows_kernel<5>(kc, ap, bp, c, ldc, accumulate);
    case 6: return rows_kernel<6>(kc, ap, bp, c, ldc, accumulate);
    case 7: return rows_kernel<7>(kc, ap, bp, c, ldc, accumulate);
    case 8: return rows_kernel<8>(kc, ap, bp, c, ldc, accumulate);
    case 9: return rows_kernel<9>(kc, ap, bp, c, ldc, accumulate);
    case 10: return rows_kernel<10>(kc, ap, bp, c, ldc, accumulate);
    case 11: return rows_kernel<11>(kc, ap, bp, c, ldc, accumulate);
    case 12: return rows_kernel<12>(kc, ap, bp, c, ldc, accumulate);
    default: return rows_kernel<13>(kc, ap, bp, c, ldc, accumulate);
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
