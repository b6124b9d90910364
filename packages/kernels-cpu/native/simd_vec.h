// The narrow vector interface the generic SIMD kernels (conv_direct.h) are written against.
// One struct per ISA, each used only by the translation unit built with that ISA's flags
// (conv_direct_<isa>.cc), so no wide instruction reaches code the portable path runs.
// A new ISA is one more struct here and one small .cc file:
//   V                  the vector type, L float lanes
//   kRegs              vector registers (sizes the register blocks)
//   M, mask(lo, hi)    lanes [lo, hi) of a partial vector (0 ≤ lo ≤ hi ≤ L)
//   zero, set1, loadu, storeu, fma(a, b, c) = a·b + c, max(a, b), min(a, b), add, mul
//   (max/min return b when either is NaN on x86; NEON and wasm propagate the NaN)
//   load(p, m)         lanes of m read from p[lane], the others 0 and never read
//   store(p, m, v)     lanes of m written to p[lane], the others untouched
#pragma once

#if defined(MGE_SIMD_AVX512) || defined(MGE_SIMD_AVX2)
#include <immintrin.h>
#endif
#if defined(MGE_SIMD_NEON)
#include <arm_neon.h>
#endif
#if defined(MGE_SIMD_WASM128)
#include <wasm_simd128.h>
#endif

namespace {

#if defined(MGE_SIMD_AVX512)
struct Avx512 {
  using V = __m512;
  using M = __mmask16;
  static constexpr int L = 16;
  static constexpr int kRegs = 32;
  static M mask(int lo, int hi) { return static_cast<M>(((1u << hi) - 1u) & ~((1u << lo) - 1u)); }
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float a) { return _mm512_set1_ps(a); }
  static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  // the all-lanes masked form: GCC 12 warns on the undefined pass-through operand of _mm512_max_ps
  static V max(V a, V b) { return _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static V min(V a, V b) { return _mm512_maskz_min_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V load(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
};
#endif

#if defined(MGE_SIMD_AVX2)
struct Avx2 {
  using V = __m256;
  using M = __m256i;
  static constexpr int L = 8;
  static constexpr int kRegs = 16;
  static M mask(int lo, int hi) {
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(iota, _mm256_set1_epi32(lo - 1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), iota));
  }
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float a) { return _mm256_set1_ps(a); }
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  // vmaskmovps never touches masked-off lanes' memory (no fault past the end of a buffer).
  static V load(const float* p, M m) { return _mm256_maskload_ps(p, m); }
  static void store(float* p, M m, V v) { _mm256_maskstore_ps(p, m, v); }
};
#endif

#if defined(MGE_SIMD_NEON)
struct Neon {
  using V = float32x4_t;
  struct M {
    int lo, hi;
  };
  static constexpr int L = 4;
  // 32 q registers, but blocks sized for 32 spill under GCC (lane inserts, callee-saved d8–d15).
  static constexpr int kRegs = 24;
  static M mask(int lo, int hi) { return M{lo, hi}; }
  static V zero() { return vdupq_n_f32(0.f); }
  static V set1(float a) { return vdupq_n_f32(a); }
  static V loadu(const float* p) { return vld1q_f32(p); }
  static void storeu(float* p, V v) { vst1q_f32(p, v); }
  static V fma(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  static V max(V a, V b) { return vmaxq_f32(a, b); }
  static V min(V a, V b) { return vminq_f32(a, b); }
  static V add(V a, V b) { return vaddq_f32(a, b); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  // NEON has no masked memory access: full vectors load directly, partial ones lane by lane
  // (lane numbers must be constants, hence the unrolled tests).
  static V load(const float* p, M m) {
    if (m.lo == 0 && m.hi == L) return vld1q_f32(p);
    V r = vdupq_n_f32(0.f);
    if (m.lo <= 0 && 0 < m.hi) r = vsetq_lane_f32(p[0], r, 0);
    if (m.lo <= 1 && 1 < m.hi) r = vsetq_lane_f32(p[1], r, 1);
    if (m.lo <= 2 && 2 < m.hi) r = vsetq_lane_f32(p[2], r, 2);
    if (m.lo <= 3 && 3 < m.hi) r = vsetq_lane_f32(p[3], r, 3);
    return r;
  }
  static void store(float* p, M m, V v) {
    if (m.lo == 0 && m.hi == L) return vst1q_f32(p, v);
    if (m.lo <= 0 && 0 < m.hi) vst1q_lane_f32(p + 0, v, 0);
    if (m.lo <= 1 && 1 < m.hi) vst1q_lane_f32(p + 1, v, 1);
    if (m.lo <= 2 && 2 < m.hi) vst1q_lane_f32(p + 2, v, 2);
    if (m.lo <= 3 && 3 < m.hi) vst1q_lane_f32(p + 3, v, 3);
  }
};
#endif

#if defined(MGE_SIMD_WASM128)
// WebAssembly SIMD (the emscripten build of @mge/kernels-wasm). Engines map v128 onto 16 XMM
// registers on x86-64 (32 on arm64; sized for the smaller). LLVM 14 has no relaxed-SIMD FMA, so
// fma is a multiply and an add. A full-width load past a buffer's end could run off the end of
// the module's memory, so partial vectors go lane by lane, as on NEON.
struct Wasm128 {
  using V = v128_t;
  struct M {
    int lo, hi;
  };
  static constexpr int L = 4;
  // Not the 16 xmm of x86-64: V8 allocates 15 and each mul + add takes a temporary, so blocks
  // sized for 16 spill on every tap.
  static constexpr int kRegs = 12;
  static M mask(int lo, int hi) { return M{lo, hi}; }
  static V zero() { return wasm_f32x4_splat(0.f); }
  static V set1(float a) { return wasm_f32x4_splat(a); }
  static V loadu(const float* p) { return wasm_v128_load(p); }
  static void storeu(float* p, V v) { wasm_v128_store(p, v); }
  static V fma(V a, V b, V c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
  static V max(V a, V b) { return wasm_f32x4_max(a, b); }
  static V min(V a, V b) { return wasm_f32x4_min(a, b); }
  static V add(V a, V b) { return wasm_f32x4_add(a, b); }
  static V mul(V a, V b) { return wasm_f32x4_mul(a, b); }
  // Row tails (lo = 0) load and store as one 32/64-bit access, which engines lower to a single
  // movss/movsd; other masks go lane by lane.
  static V load(const float* p, M m) {
    if (m.lo == 0) {
      if (m.hi == L) return wasm_v128_load(p);
      if (m.hi == 2) return wasm_v128_load64_zero(p);
      if (m.hi == 1) return wasm_v128_load32_zero(p);
      if (m.hi == 3) return wasm_f32x4_replace_lane(wasm_v128_load64_zero(p), 2, p[2]);
    }
    V r = wasm_f32x4_splat(0.f);
    if (m.lo <= 0 && 0 < m.hi) r = wasm_f32x4_replace_lane(r, 0, p[0]);
    if (m.lo <= 1 && 1 < m.hi) r = wasm_f32x4_replace_lane(r, 1, p[1]);
    if (m.lo <= 2 && 2 < m.hi) r = wasm_f32x4_replace_lane(r, 2, p[2]);
    if (m.lo <= 3 && 3 < m.hi) r = wasm_f32x4_replace_lane(r, 3, p[3]);
    return r;
  }
  static void store(float* p, M m, V v) {
    if (m.lo == 0 && m.hi == L) return wasm_v128_store(p, v);
    if (m.lo == 0 && m.hi >= 2) {
      wasm_v128_store64_lane(p, v, 0);
      if (m.hi == 3) p[2] = wasm_f32x4_extract_lane(v, 2);
      return;
    }
    if (m.lo <= 0 && 0 < m.hi) p[0] = wasm_f32x4_extract_lane(v, 0);
    if (m.lo <= 1 && 1 < m.hi) p[1] = wasm_f32x4_extract_lane(v, 1);
    if (m.lo <= 2 && 2 < m.hi) p[2] = wasm_f32x4_extract_lane(v, 2);
    if (m.lo <= 3 && 3 < m.hi) p[3] = wasm_f32x4_extract_lane(v, 3);
  }
};
#endif

}  // namespace
