// AVX2/FMA micro-kernel, compiled with -mavx2 -mfma. Only reached when the CPU reports both.
// Nothing here may have external linkage except the entry point (see gemm_kernel_avx512.cc).
//
// The twelve sums are named variables, not an array: GCC keeps a `__m256 acc[6][2]` array in
// memory and stores it on every k step (SGEMM at a third of the FMA peak on Zen 3).
// scripts/check-asm.mjs fails the build's tests if stack traffic comes back into this loop.
#include <immintrin.h>
#include <stdint.h>

namespace {

inline void add_row(const float* row, __m256& lo, __m256& hi) {
  lo = _mm256_add_ps(lo, _mm256_loadu_ps(row));
  hi = _mm256_add_ps(hi, _mm256_loadu_ps(row + 8));
}

inline void store_row(float* row, __m256 lo, __m256 hi) {
  _mm256_storeu_ps(row, lo);
  _mm256_storeu_ps(row + 8, hi);
}

}  // namespace

#define MGE_AVX2_STEP(q)                               \
  do {                                                 \
    const __m256 b0 = _mm256_load_ps(bp + 16 * (q));     \
    const __m256 b1 = _mm256_load_ps(bp + 16 * (q) + 8); \
    __m256 a = _mm256_broadcast_ss(ap + 6 * (q) + 0);   \
    c00 = _mm256_fmadd_ps(a, b0, c00);                 \
    c01 = _mm256_fmadd_ps(a, b1, c01);                 \
    a = _mm256_broadcast_ss(ap + 6 * (q) + 1);          \
    c10 = _mm256_fmadd_ps(a, b0, c10);                 \
    c11 = _mm256_fmadd_ps(a, b1, c11);                 \
    a = _mm256_broadcast_ss(ap + 6 * (q) + 2);          \
    c20 = _mm256_fmadd_ps(a, b0, c20);                 \
    c21 = _mm256_fmadd_ps(a, b1, c21);                 \
    a = _mm256_broadcast_ss(ap + 6 * (q) + 3);          \
    c30 = _mm256_fmadd_ps(a, b0, c30);                 \
    c31 = _mm256_fmadd_ps(a, b1, c31);                 \
    a = _mm256_broadcast_ss(ap + 6 * (q) + 4);          \
    c40 = _mm256_fmadd_ps(a, b0, c40);                 \
    c41 = _mm256_fmadd_ps(a, b1, c41);                 \
    a = _mm256_broadcast_ss(ap + 6 * (q) + 5);          \
    c50 = _mm256_fmadd_ps(a, b0, c50);                 \
    c51 = _mm256_fmadd_ps(a, b1, c51);                 \
  } while (0)

extern "C" void mge_sgemm_kernel_avx2_6x16(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc,
                                           int accumulate) {
  // The tile of C is written (and read, when accumulating) after the loop: start fetching it now
  // so its misses overlap the FMAs instead of following them.
  for (int i = 0; i < 6; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 15), _MM_HINT_T0);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  // Two k steps per iteration (more unrolling makes GCC spill accumulators).
  int64_t p = 0;
  for (; p + 2 <= kc; p += 2) {
    _mm_prefetch(reinterpret_cast<const char*>(bp + 128), _MM_HINT_T0);
    MGE_AVX2_STEP(0);
    _mm_prefetch(reinterpret_cast<const char*>(bp + 144), _MM_HINT_T0);
    MGE_AVX2_STEP(1);
    ap += 12;
    bp += 32;
  }
  if (p < kc) MGE_AVX2_STEP(0);
#undef MGE_AVX2_STEP
  // Every load of C before the first store (see gemm_kernel_avx512.cc: 4K-aliased rows).
  if (accumulate) {
    add_row(c + 0 * ldc, c00, c01);
    add_row(c + 1 * ldc, c10, c11);
    add_row(c + 2 * ldc, c20, c21);
    add_row(c + 3 * ldc, c30, c31);
    add_row(c + 4 * ldc, c40, c41);
    add_row(c + 5 * ldc, c50, c51);
  }
  store_row(c + 0 * ldc, c00, c01);
  store_row(c + 1 * ldc, c10, c11);
  store_row(c + 2 * ldc, c20, c21);
  store_row(c + 3 * ldc, c30, c31);
  store_row(c + 4 * ldc, c40, c41);
  store_row(c + 5 * ldc, c50, c51);
}

namespace {

// The last, partial panel of A (R < 6 rows; the packed panel keeps its 6-float stride): only R
// rows of FMAs, stored straight to C (see gemm_kernel_avx512.cc).
template <int R>
void rows_kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int accumulate) {
  __m256 lo0 = _mm256_setzero_ps(), hi0 = lo0, lo1 = lo0, hi1 = lo0, lo2 = lo0, hi2 = lo0, lo3 = lo0, hi3 = lo0;
  __m256 lo4 = lo0, hi4 = lo0;
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(bp);
    const __m256 b1 = _mm256_load_ps(bp + 8);
    __m256 a = _mm256_broadcast_ss(ap);
    lo0 = _mm256_fmadd_ps(a, b0, lo0);
    hi0 = _mm256_fmadd_ps(a, b1, hi0);
    if (R > 1) {
      a = _mm256_broadcast_ss(ap + 1);
      lo1 = _mm256_fmadd_ps(a, b0, lo1);
      hi1 = _mm256_fmadd_ps(a, b1, hi1);
    }
    if (R > 2) {
      a = _mm256_broadcast_ss(ap + 2);
      lo2 = _mm256_fmadd_ps(a, b0, lo2);
      hi2 = _mm256_fmadd_ps(a, b1, hi2);
    }
    if (R > 3) {
      a = _mm256_broadcast_ss(ap + 3);
      lo3 = _mm256_fmadd_ps(a, b0, lo3);
      hi3 = _mm256_fmadd_ps(a, b1, hi3);
    }
    if (R > 4) {
      a = _mm256_broadcast_ss(ap + 4);
      lo4 = _mm256_fmadd_ps(a, b0, lo4);
      hi4 = _mm256_fmadd_ps(a, b1, hi4);
    }
    ap += 6;
    bp += 16;
  }
  if (accumulate) {
    add_row(c, lo0, hi0);
    if (R > 1) add_row(c + ldc, lo1, hi1);
    if (R > 2) add_row(c + 2 * ldc, lo2, hi2);
    if (R > 3) add_row(c + 3 * ldc, lo3, hi3);
    if (R > 4) add_row(c + 4 * ldc, lo4, hi4);
  }
  store_row(c, lo0, hi0);
  if (R > 1) store_row(c + ldc, lo1, hi1);
  if (R > 2) store_row(c + 2 * ldc, lo2, hi2);
  if (R > 3) store_row(c + 3 * ldc, lo3, hi3);
  if (R > 4) store_row(c + 4 * ldc, lo4, hi4);
}

}  // namespace

extern "C" void mge_sgemm_kernel_avx2_rows(int64_t rows, int64_t kc, const float* ap, const float* bp, float* c,
                                           int64_t ldc, int accumulate) {
  switch (rows) {
    case 1: return rows_kernel<1>(kc, ap, bp, c, ldc, accumulate);
    case 2: return rows_kernel<2>(kc, ap, bp, c, ldc, accumulate);
    case 3: return rows_kernel<3>(kc, ap, bp, c, ldc, accumulate);
    case 4: return rows_kernel<4>(kc, ap, bp, c, ldc, accumulate);
    default: return rows_kernel<5>(kc, ap, bp, c, ldc, accumulate);
  }
}

// The FMA peak of this path: iters steps of 10 independent FMA chains (two ports × latency 4–5
// need 8–10 in flight); 160 flops per step. out keeps the chains live. Each chain starts from its
// own value: equal chains compute equal values, and GCC merges them into one latency-bound chain
// (which then reports 1.25× the real peak).
extern "C" void mge_fma_loop_avx2(int64_t iters, float* out) {
  const __m256 m = _mm256_set1_ps(0.999999f), d = _mm256_set1_ps(1e-7f);
  __m256 a0 = _mm256_set1_ps(1.f), a1 = _mm256_set1_ps(1.01f), a2 = _mm256_set1_ps(1.02f);
  __m256 a3 = _mm256_set1_ps(1.03f), a4 = _mm256_set1_ps(1.04f), a5 = _mm256_set1_ps(1.05f);
  __m256 a6 = _mm256_set1_ps(1.06f), a7 = _mm256_set1_ps(1.07f), a8 = _mm256_set1_ps(1.08f);
  __m256 a9 = _mm256_set1_ps(1.09f);
  for (int64_t i = 0; i < iters; ++i) {
    a0 = _mm256_fmadd_ps(a0, m, d);
    a1 = _mm256_fmadd_ps(a1, m, d);
    a2 = _mm256_fmadd_ps(a2, m, d);
    a3 = _mm256_fmadd_ps(a3, m, d);
    a4 = _mm256_fmadd_ps(a4, m, d);
    a5 = _mm256_fmadd_ps(a5, m, d);
    a6 = _mm256_fmadd_ps(a6, m, d);
    a7 = _mm256_fmadd_ps(a7, m, d);
    a8 = _mm256_fmadd_ps(a8, m, d);
    a9 = _mm256_fmadd_ps(a9, m, d);
  }
  const __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                                 _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)),
                                               _mm256_add_ps(a8, a9)));
  _mm256_storeu_ps(out, s);
}
