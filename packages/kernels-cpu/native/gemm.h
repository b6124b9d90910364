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

// Name of the micro-kernel in use: "avx512", "avx2" or "portable".
const char* gemm_isa();
// Forces a micro-kernel (for tests); returns false if the CPU cannot run it.
bool set_gemm_isa(const char* name);

// Micro-kernel ABI shared with the per-ISA translation units: computes one full
// MR×NR tile from packed panels (A: kc×MR, column of MR per k; B: kc×NR) and
// stores it to c (row stride ldc), adding to c when accumulate != 0.
using MicroKernel = void (*)(i64 kc, const float* ap, const float* bp, float* c, i64 ldc, int accumulate);

}  // namespace mge

extern "C" {
// Defined in gemm_kernel_avx512.cc / gemm_kernel_avx2.cc (compiled with their own -m flags).
void mge_sgemm_kernel_avx512_14x32(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc,
                                   int accumulate);
// Direct convolution for short rows (conv_direct_avx512.cc); see conv.cc for when it applies.
void mge_conv2d_direct_avx512(const float* x, const float* w, float* y, std::int64_t n0, std::int64_t n1,
                              std::int64_t c, std::int64_t h, std::int64_t wd, std::int64_t o, std::int64_t kh,
                              std::int64_t kw, std::int64_t oh, std::int64_t ow, void (*done)(void*, std::int64_t),
                              void* ctx);
void mge_conv2d_input_direct_avx512(const float* dy, const float* w, float* dx, std::int64_t n0, std::int64_t n1,
                                    std::int64_t c, std::int64_t h, std::int64_t wd, std::int64_t o, std::int64_t kh,
                                    std::int64_t kw, std::int64_t oh, std::int64_t ow);
int mge_conv2d_filter_direct_avx512(const float* x, const float* dy, float* dw, std::int64_t n0, std::int64_t n1,
                                    std::int64_t c, std::int64_t h, std::int64_t wd, std::int64_t o, std::int64_t kh,
                                    std::int64_t kw, std::int64_t oh, std::int64_t ow);
void mge_sgemm_kernel_avx2_6x16(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc,
                                int accumulate);
#if defined(__wasm_simd128__)
// Defined in gemm_kernel_wasm.cc (the WebAssembly SIMD build only).
void mge_sgemm_kernel_wasm_6x8(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc,
                               int accumulate);
void mge_sgemm_kernel_wasm_4x16(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc,
                                int accumulate);
#endif
}
