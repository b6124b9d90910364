// The register tile of the pre-packed 1×1 convolution (pointwise.cc), written once against a
// small vector interface and instantiated per ISA (pointwise_<isa>.cc with that ISA's flags;
// the portable one, GCC vectors of 4 floats, in pointwise.cc). After the last K block the
// epilogue — bias, residual, relu / relu6 / hardswish — runs on the accumulators before the one
// store, so a layer's output is written once and never read back.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(MGE_PW_AVX512) || defined(MGE_PW_AVX2)
#include <immintrin.h>
#endif

#include "pointwise.h"

// Internal linkage: each ISA's translation unit has its own Isa and tile.
namespace {

using mge_pw::Finish;
using i64 = std::int64_t;

// Vector interface: V, L lanes, the tile's MR rows × NV vectors, zero/set1/loadu/storeu,
// add/mul/fma, vmax/vmin with x86's NaN rule (the second operand when either is NaN), and
// loadn/storen of the first n lanes (0 < n ≤ L) that touch no memory past them.
#if defined(MGE_PW_AVX512)
struct Isa {
  using V = __m512;
  static constexpr int L = 16, MR = 12, NV = 2;
  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float a) { return _mm512_set1_ps(a); }
  static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V vmax(V a, V b) { return _mm512_maskz_max_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static V vmin(V a, V b) { return _mm512_maskz_min_ps(static_cast<__mmask16>(0xFFFF), a, b); }
  static __mmask16 m(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static V loadn(const float* p, int n) { return _mm512_maskz_loadu_ps(m(n), p); }
  static void storen(float* p, int n, V v) { _mm512_mask_storeu_ps(p, m(n), v); }
};
#elif defined(MGE_PW_AVX2)
struct Isa {
  using V = __m256;
  static constexpr int L = 8, MR = 6, NV = 2;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float a) { return _mm256_set1_ps(a); }
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V vmax(V a, V b) { return _mm256_max_ps(a, b); }
  static V vmin(V a, V b) { return _mm256_min_ps(a, b); }
  static __m256i m(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V loadn(const float* p, int n) { return _mm256_maskload_ps(p, m(n)); }
  static void storen(float* p, int n, V v) { _mm256_maskstore_ps(p, m(n), v); }
};
#else
struct Isa {
  using V = float __attribute__((vector_size(16)));
  static constexpr int L = 4, MR = 4, NV = 2;
  static V zero() { return V{0.f, 0.f, 0.f, 0.f}; }
  static V set1(float a) { return V{a, a, a, a}; }
  static V loadu(const float* p) {
    V v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  static void storeu(float* p, V v) { std::memcpy(p, &v, sizeof(v)); }
  static V add(V a, V b) { return a + b; }
  static V mul(V a, V b) { return a * b; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V vmax(V a, V b) { return a > b ? a : b; }
  static V vmin(V a, V b) { return a < b ? a : b; }
  static V loadn(const float* p, int n) {
    V v = zero();
    std::memcpy(&v, p, sizeof(float) * n);
    return v;
  }
  static void storen(float* p, int n, V v) { std::memcpy(p, &v, sizeof(float) * n); }
};
#endif

// The activations as the elementwise table computes them (epilogue.cc): relu `v < 0 ? 0 : v`,
// relu6 minimum(maximum(v, 0), 6), hardswish v · (relu6(v + 3) · 1/6), each step rounded.
inline Isa::V activate(Isa::V v, int act) {
  using S = Isa;
  if (act == 0) return v;
  if (act == 1) return S::vmax(S::zero(), v);
  if (act == 2) return S::vmin(S::set1(6.f), S::vmax(S::zero(), v));
  const Isa::V t = S::vmin(S::set1(6.f), S::vmax(S::zero(), S::add(v, S::set1(3.f))));
  return S::mul(v, S::mul(t, S::set1(1.f / 6.f)));
}

// c[0, rows) × [0, cols) (row stride ldc) = Σ_k ap[k·MR + i] · bp[k·NR + j] over kc steps
// (+ c when accumulate), then `fin`'s epilogue when fin is not null. ap and bp are packed
// panels (MR rows, NR = NV·L columns per k, zero-padded); rows ≤ MR and cols ≤ NR.
// Mode 0: bp is a packed panel (NR floats per k). Modes 1 and 2: bp is x itself, row k at
// bp + k·ldb (a small map read where it lies, no packing), all NR columns (1) or the first cols (2).
template <int Mode>
inline void tile_impl(i64 kc, const float* ap, const float* bp, i64 ldb, float* c, i64 ldc, int rows, int cols,
                      int accumulate, const Finish* fin) {
  using S = Isa;
  using V = S::V;
  constexpr int MR = S::MR, NV = S::NV, L = S::L;
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = S::zero();
  const i64 step = Mode == 0 ? NV * L : ldb;
  for (i64 p = 0; p < kc; ++p) {
    V b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (Mode == 2) {
        const int n = cols - v * L;
        b[v] = n >= L ? S::loadu(bp + v * L) : n > 0 ? S::loadn(bp + v * L, n) : S::zero();
      } else {
        b[v] = S::loadu(bp + v * L);
      }
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const V a = S::set1(ap[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = S::fma(a, b[v], acc[i][v]);
    }
    // the filter streams from memory once per layer (at batch 1 each weight meets few columns):
    // fetch it well ahead of the broadcasts
    __builtin_prefetch(ap + 16 * MR);
    ap += MR;
    bp += step;
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (i >= rows) break;
    float* ci = c + i * ldc;
    const float* ri = fin && fin->residual ? fin->residual + i * ldc : nullptr;
    const V bi = fin && fin->bias ? S::set1(fin->bias[i]) : S::zero();
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const int n = cols - v * L;
      if (n <= 0) break;
      V x = acc[i][v];
      if (n >= L) {
        if (accumulate) x = S::add(S::loadu(ci + v * L), x);
        if (fin) {
          if (fin->bias) x = S::add(x, bi);
          if (ri) x = S::add(x, S::loadu(ri + v * L));
          x = activate(x, fin->act);
        }
        S::storeu(ci + v * L, x);
      } else {
        if (accumulate) x = S::add(S::loadn(ci + v * L, n), x);
        if (fin) {
          if (fin->bias) x = S::add(x, bi);
          if (ri) x = S::add(x, S::loadn(ri + v * L, n));
          x = activate(x, fin->act);
        }
        S::storen(ci + v * L, n, x);
      }
    }
  }
}

inline void tile(i64 kc, const float* ap, const float* bp, float* c, i64 ldc, int rows, int cols, int accumulate,
                 const Finish* fin) {
  tile_impl<0>(kc, ap, bp, 0, c, ldc, rows, cols, accumulate, fin);
}

inline void tile_direct(i64 kc, const float* ap, const float* x, i64 ldx, float* c, i64 ldc, int rows, int cols,
                        int accumulate, const Finish* fin) {
  if (cols == Isa::NV * Isa::L) tile_impl<1>(kc, ap, x, ldx, c, ldc, rows, cols, accumulate, fin);
  else tile_impl<2>(kc, ap, x, ldx, c, ldc, rows, cols, accumulate, fin);
}

// A linear layer's row at batch 1 (a matrix-vector product, packed weight): y[0, cols) =
// Σ_k x[k]·wp[k·NB + j] with NB = kGemvVecs·L output features per block, then bias (per
// feature, from the block's first) and relu when act == 1. wp streams once, at full vector width.
constexpr int kGemvVecs = 8;
constexpr int kGemvWidth = kGemvVecs * Isa::L;

inline void gemv_block(i64 k, const float* x, const float* wp, float* y, int cols, const float* bias, int act) {
  using S = Isa;
  using V = S::V;
  constexpr int L = S::L, G = kGemvVecs;
  V acc[G];
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) acc[g] = S::zero();
  for (i64 p = 0; p < k; ++p) {
    const V xp = S::set1(x[p]);
    // the weight streams from memory once per call: request its lines 16 steps ahead (one
    // 64-byte line per 16 floats), beyond what the hardware prefetcher keeps in flight
#pragma GCC unroll 8
    for (int g = 0; g < G * L; g += 16) __builtin_prefetch(wp + 16 * G * L + g);
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) acc[g] = S::fma(xp, S::loadu(wp + g * L), acc[g]);
    wp += G * L;
  }
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) {
    const int n = cols - g * L;
    if (n <= 0) break;
    V v = acc[g];
    if (n >= L) {
      if (bias) v = S::add(v, S::loadu(bias + g * L));
      S::storeu(y + g * L, activate(v, act));
    } else {
      if (bias) v = S::add(v, S::loadn(bias + g * L, n));
      S::storen(y + g * L, n, activate(v, act));
    }
  }
}

}  // namespace

// The entry point of one ISA's tile (declared in pointwise.h).
#define MGE_POINTWISE_ENTRY(isa)                                                                                    \
  extern "C" void mge_pointwise_tile_##isa(std::int64_t kc, const float* ap, const float* bp, float* c,            \
                                           std::int64_t ldc, int rows, int cols, int accumulate,                   \
                                           const mge_pw::Finish* fin) {                                            \
    tile(kc, ap, bp, c, ldc, rows, cols, accumulate, fin);                                                          \
  }                                                                                                                 \
  extern "C" void mge_pointwise_tile_direct_##isa(std::int64_t kc, const float* ap, const float* x, std::int64_t ldx, \
                                                  float* c, std::int64_t ldc, int rows, int cols, int accumulate,    \
                                                  const mge_pw::Finish* fin) {                                       \
    tile_direct(kc, ap, x, ldx, c, ldc, rows, cols, accumulate, fin);                                                \
  }                                                                                                                 \
  extern "C" void mge_gemv_block_##isa(std::int64_t k, const float* x, const float* wp, float* y, int cols,         \
                                       const float* bias, int act) {                                                \
    gemv_block(k, x, wp, y, cols, bias, act);                                                                       \
  }
