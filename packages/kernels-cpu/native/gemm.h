// Single-precision GEMM: C = ep(op(A)·op(B) (+ C when accumulate)), row-major.
#pragma once
#include "common.h"
#include "epilogue.h"

namespace mge {

struct Gemm {
  bool trans_a = false, trans_b = false;
  i64 m = 0, n = 0, k = 0;
  const float* a = nullptr;
  i64 lda = 0;  // row stride of A as stored (K when !trans_a, M when trans_a, for a dense matrix)
  const float* b = nullptr;
  i64 ldb = 0;
  float* c = nullptr;
  i64 ldc = 0;
  bool accumulate = false;
  // Applied to each tile of C after its last K block is stored (bias indexed from C's row/column 0).
  Epilogue ep;
};

// Uses the thread pool when the product is large enough and this is not already
// inside a parallel job.
void sgemm(const Gemm& g);

// Name of the micro-kernel in use: "avx512", "avx2", "neon" or "portable".
const char* gemm_isa();
// Forces a micro-kernel (for tests); returns false if the CPU cannot run it.
bool set_gemm_isa(const char* name);

// Micro-kernel ABI shared with the per-ISA translation units: computes one full
// MR×NR tile from packed panels (A: kc×MR, column of MR per k; B: kc×NR) and
// stores it to c (row stride ldc), adding to c when accumulate != 0.
using MicroKernel = void (*)(i64 kc, const float* ap, const float* bp, float* c, i64 ldc, int accumulate);
// Optional companion for the last, partial panel of A: the same tile for only `rows` (< MR) rows,
// reading the zero-padded MR-tall panel and storing rows × NR of C directly.
using RowsKernel = void (*)(i64 rows, i64 kc, const float* ap, const float* bp, float* c, i64 ldc, int accumulate);

// One ISA's direct convolutions (conv_direct.h instantiated by conv_direct_<isa>.cc); see conv.cc
// for when they apply. Null members: the ISA has none (the portable path uses im2col GEMMs).
struct ConvDirect {
  void (*forward)(const float* x, const float* w, float* y, i64 n0, i64 n1, i64 c, i64 h, i64 wd, i64 o, i64 kh,
                  i64 kw, i64 oh, i64 ow, void (*done)(void*, i64), void* ctx);
  void (*input)(const float* dy, const float* w, float* dx, i64 n0, i64 n1, i64 c, i64 h, i64 wd, i64 o, i64 kh,
                i64 kw, i64 oh, i64 ow);
  int (*filter)(const float* x, const float* dy, float* dw, i64 n0, i64 n1, i64 c, i64 h, i64 wd, i64 o, i64 kh,
                i64 kw, i64 oh, i64 ow);
};

// The measured single-thread FMA peak of the ISA in use, in GFLOP/s (best of a few ~20 ms runs of
// independent FMA chains); 0 for the portable path, which has no FMA loop of its own.
double fma_peak_gflops();

// The direct convolutions of the ISA in use (forced by MGE_CPU_ISA / set_gemm_isa like the GEMM).
const ConvDirect& conv_direct();

}  // namespace mge

// Entry points of the per-ISA translation units (each compiled with its own -m flags).
#define MGE_DECLARE_ISA_KERNELS(isa)                                                                                 \
  extern "C" void mge_conv2d_direct_##isa(const float*, const float*, float*, std::int64_t, std::int64_t,          \
                                          std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,     \
                                          std::int64_t, std::int64_t, std::int64_t, void (*)(void*, std::int64_t), \
                                          void*);                                                                   \
  extern "C" void mge_conv2d_input_direct_##isa(const float*, const float*, float*, std::int64_t, std::int64_t,    \
                                                std::int64_t, std::int64_t, std::int64_t, std::int64_t,             \
                                                std::int64_t, std::int64_t, std::int64_t, std::int64_t);            \
  extern "C" int mge_conv2d_filter_direct_##isa(const float*, const float*, float*, std::int64_t, std::int64_t,    \
                                                std::int64_t, std::int64_t, std::int64_t, std::int64_t,             \
                                                std::int64_t, std::int64_t, std::int64_t, std::int64_t);

extern "C" {
void mge_sgemm_kernel_avx512_14x32(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc,
                                   int accumulate);
void mge_sgemm_kernel_avx512_rows(std::int64_t rows, std::int64_t kc, const float* ap, const float* bp, float* c,
                                  std::int64_t ldc, int accumulate);
void mge_sgemm_kernel_avx2_rows(std::int64_t rows, std::int64_t kc, const float* ap, const float* bp, float* c,
                                std::int64_t ldc, int accumulate);
void mge_sgemm_kernel_avx2_6x16(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc,
                                int accumulate);
void mge_sgemm_kernel_neon_rows(std::int64_t rows, std::int64_t kc, const float* ap, const float* bp, float* c,
                                std::int64_t ldc, int accumulate);
void mge_sgemm_kernel_neon_8x12(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc,
                                int accumulate);
void mge_fma_loop_avx512(std::int64_t iters, float* out);
void mge_fma_loop_avx2(std::int64_t iters, float* out);
void mge_fma_loop_neon(std::int64_t iters, float* out);
#if defined(__wasm_simd128__)
// Defined in gemm_kernel_wasm.cc (the WebAssembly SIMD build only).
void mge_sgemm_kernel_wasm_6x8(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc,
                               int accumulate);
void mge_sgemm_kernel_wasm_4x16(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc,
                                int accumulate);
#endif
}
#if defined(__x86_64__)
MGE_DECLARE_ISA_KERNELS(avx512)
MGE_DECLARE_ISA_KERNELS(avx2)
#endif
#if defined(__aarch64__)
MGE_DECLARE_ISA_KERNELS(neon)
#endif
#if defined(__wasm_simd128__)
MGE_DECLARE_ISA_KERNELS(wasm)
#endif
