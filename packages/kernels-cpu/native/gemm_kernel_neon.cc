// aarch64 NEON micro-kernel (NEON is part of the aarch64 baseline): 8×12 tile, 24 named sums
// (an array of vectors would be kept in memory; see gemm_kernel_avx2.cc) + 3 B + 2 A registers
// of the 32 q registers.
#include <arm_neon.h>
#include <stdint.h>

namespace {

inline void store_row(float* row, float32x4_t a, float32x4_t b, float32x4_t c, int accumulate) {
  if (accumulate) {
    a = vaddq_f32(a, vld1q_f32(row));
    b = vaddq_f32(b, vld1q_f32(row + 4));
    c = vaddq_f32(c, vld1q_f32(row + 8));
  }
  vst1q_f32(row, a);
  vst1q_f32(row + 4, b);
  vst1q_f32(row + 8, c);
}

}  // namespace

#define MGE_ROW(i, lane, av) \
  c##i##0 = vfmaq_laneq_f32(c##i##0, b0, av, lane); \
  c##i##1 = vfmaq_laneq_f32(c##i##1, b1, av, lane); \
  c##i##2 = vfmaq_laneq_f32(c##i##2, b2, av, lane);

extern "C" void mge_sgemm_kernel_neon_8x12(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc,
                                           int accumulate) {
  const float32x4_t z = vdupq_n_f32(0.f);
  float32x4_t c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z;
  float32x4_t c30 = z, c31 = z, c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z;
  float32x4_t c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
  for (int64_t p = 0; p < kc; ++p) {
    const float32x4_t b0 = vld1q_f32(bp), b1 = vld1q_f32(bp + 4), b2 = vld1q_f32(bp + 8);
    const float32x4_t a0 = vld1q_f32(ap), a1 = vld1q_f32(ap + 4);
    MGE_ROW(0, 0, a0)
    MGE_ROW(1, 1, a0)
    MGE_ROW(2, 2, a0)
    MGE_ROW(3, 3, a0)
    MGE_ROW(4, 0, a1)
    MGE_ROW(5, 1, a1)
    MGE_ROW(6, 2, a1)
    MGE_ROW(7, 3, a1)
    ap += 8;
    bp += 12;
  }
  store_row(c + 0 * ldc, c00, c01, c02, accumulate);
  store_row(c + 1 * ldc, c10, c11, c12, accumulate);
  store_row(c + 2 * ldc, c20, c21, c22, accumulate);
  store_row(c + 3 * ldc, c30, c31, c32, accumulate);
  store_row(c + 4 * ldc, c40, c41, c42, accumulate);
  store_row(c + 5 * ldc, c50, c51, c52, accumulate);
  store_row(c + 6 * ldc, c60, c61, c62, accumulate);
  store_row(c + 7 * ldc, c70, c71, c72, accumulate);
}

namespace {

// The last, partial panel of A (R < 8 rows; the packed panel keeps its 8-float stride): only R
// rows of FMAs, stored straight to C, where the full kernel would compute 8 rows into a scratch
// tile (an output of 20 channels wastes 1/6 of its FMAs that way). Fully unrolled over R, so the
// sums stay in registers (scripts/check-asm.mjs checks the aarch64 object too).
template <int R>
void rows_kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int accumulate) {
  constexpr int AS = 8;
  float32x4_t acc[R][3];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) acc[i][0] = acc[i][1] = acc[i][2] = vdupq_n_f32(0.f);
  for (int64_t p = 0; p < kc; ++p) {
    const float32x4_t b0 = vld1q_f32(bp), b1 = vld1q_f32(bp + 4), b2 = vld1q_f32(bp + 8);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const float a = ap[i];
      acc[i][0] = vfmaq_n_f32(acc[i][0], b0, a);
      acc[i][1] = vfmaq_n_f32(acc[i][1], b1, a);
      acc[i][2] = vfmaq_n_f32(acc[i][2], b2, a);
    }
    ap += AS;
    bp += 12;
  }
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) store_row(c + i * ldc, acc[i][0], acc[i][1], acc[i][2], accumulate);
}

}  // namespace

extern "C" void mge_sgemm_kernel_neon_rows(int64_t rows, int64_t kc, const float* ap, const float* bp, float* c,
                                           int64_t ldc, int accumulate) {
  switch (rows) {
    case 1: return rows_kernel<1>(kc, ap, bp, c, ldc, accumulate);
    case 2: return rows_kernel<2>(kc, ap, bp, c, ldc, accumulate);
    case 3: return rows_kernel<3>(kc, ap, bp, c, ldc, accumulate);
    case 4: return rows_kernel<4>(kc, ap, bp, c, ldc, accumulate);
    case 5: return rows_kernel<5>(kc, ap, bp, c, ldc, accumulate);
    case 6: return rows_kernel<6>(kc, ap, bp, c, ldc, accumulate);
    default: return rows_kernel<7>(kc, ap, bp, c, ldc, accumulate);
  }
}

// The FMA peak of this path: iters steps of 12 independent FMA chains; 96 flops per step.
extern "C" void mge_fma_loop_neon(int64_t iters, float* out) {
  const float32x4_t m = vdupq_n_f32(0.999999f), d = vdupq_n_f32(1e-7f);
  // Each chain starts from its own value: equal chains would be merged into one by the compiler.
  float32x4_t a0 = vdupq_n_f32(1.f), a1 = vdupq_n_f32(1.01f), a2 = vdupq_n_f32(1.02f), a3 = vdupq_n_f32(1.03f);
  float32x4_t a4 = vdupq_n_f32(1.04f), a5 = vdupq_n_f32(1.05f), a6 = vdupq_n_f32(1.06f), a7 = vdupq_n_f32(1.07f);
  float32x4_t a8 = vdupq_n_f32(1.08f), a9 = vdupq_n_f32(1.09f), a10 = vdupq_n_f32(1.10f), a11 = vdupq_n_f32(1.11f);
  for (int64_t i = 0; i < iters; ++i) {
    a0 = vfmaq_f32(d, a0, m);
    a1 = vfmaq_f32(d, a1, m);
    a2 = vfmaq_f32(d, a2, m);
    a3 = vfmaq_f32(d, a3, m);
    a4 = vfmaq_f32(d, a4, m);
    a5 = vfmaq_f32(d, a5, m);
    a6 = vfmaq_f32(d, a6, m);
    a7 = vfmaq_f32(d, a7, m);
    a8 = vfmaq_f32(d, a8, m);
    a9 = vfmaq_f32(d, a9, m);
    a10 = vfmaq_f32(d, a10, m);
    a11 = vfmaq_f32(d, a11, m);
  }
  float32x4_t s = vaddq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)), vaddq_f32(vaddq_f32(a4, a5), vaddq_f32(a6, a7)));
  s = vaddq_f32(s, vaddq_f32(vaddq_f32(a8, a9), vaddq_f32(a10, a11)));
  vst1q_f32(out, s);
}
