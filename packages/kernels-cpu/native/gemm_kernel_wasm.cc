// SGEMM micro-kernel for WebAssembly SIMD (128-bit lanes), the wasm twin of
// gemm_kernel_avx2.cc: an MR×NR tile of C held in MR·NR/4 v128 accumulators while one
// broadcast of A meets NR/4 vectors of B per k. Engines map v128 onto 16 XMM/NEON
// registers, so the tile keeps accumulators + B vectors + one broadcast under 16.
#include <wasm_simd128.h>

#include <cstdint>

namespace {

// Rows of A are AS apart in the packed panel (AS = MR unless a tile is done in row slices).
template <int MR, int NV, int AS = MR>
inline void tile(std::int64_t kc, const float* ap, const float* bp, float* c, std::int64_t ldc, int accumulate) {
  v128_t acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = wasm_f32x4_splat(0.f);
  for (std::int64_t p = 0; p < kc; ++p) {
    v128_t b[NV];
    for (int v = 0; v < NV; ++v) b[v] = wasm_v128_load(bp + 4 * v);
    for (int i = 0; i < MR; ++i) {
      const v128_t a = wasm_f32x4_splat(ap[i]);
      for (int v = 0; v < NV; ++v) acc[i][v] = wasm_f32x4_add(acc[i][v], wasm_f32x4_mul(a, b[v]));
    }
    ap += AS;
    bp += 4 * NV;
  }
  for (int i = 0; i < MR; ++i) {
    float* row = c + i * ldc;
    for (int v = 0; v < NV; ++v) {
      v128_t r = acc[i][v];
      if (accumulate) r = wasm_f32x4_add(r, wasm_v128_load(row + 4 * v));
      wasm_v128_store(row + 4 * v, r);
    }
  }
}

}  // namespace

extern "C" void mge_sgemm_kernel_wasm_6x8(std::int64_t kc, const float* ap, const float* bp, float* c,
                                         std::int64_t ldc, int accumulate) {
  // Two slices of three rows: V8 allocates 15 xmm and each mul + add takes a temporary, so 12
  // accumulators + 2 B vectors + a broadcast spill on every k; 6 + 2 + 1 do not (B is re-read from L1).
  tile<3, 2, 6>(kc, ap, bp, c, ldc, accumulate);
  tile<3, 2, 6>(kc, ap + 3, bp, c + 3 * ldc, ldc, accumulate);
}

extern "C" void mge_sgemm_kernel_wasm_4x16(std::int64_t kc, const float* ap, const float* bp, float* c,
                                          std::int64_t ldc, int accumulate) {
  tile<4, 4>(kc, ap, bp, c, ldc, accumulate);
}
