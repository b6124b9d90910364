// The depthwise convolution's inner loop, written once against simd_vec.h and instantiated per
// ISA (conv_direct_<isa>.cc). depthwise.cc lays each plane out so that every tap is one
// contiguous array (zero-padded, split into stride phases); what is left is a weighted sum of
// kk shifted arrays, which this computes a few vectors at a time with the accumulators in
// registers and the bias and relu applied before the single store.
#pragma once
#include <cstdint>

#include "conv_direct.h"  // MGE_UNROLL, MGE_NO_PCOM
#include "simd_vec.h"

namespace {

// The activation the depthwise taps apply before their store (`act`, epilogue.h's Act codes):
// 1 relu as max(·, 0); 2 relu6 and 3 hardswish as epilogue.cc computes them, clamps that keep a
// NaN (the value is the second operand of max/min).
template <class S>
inline typename S::V dw_activate(typename S::V a, int act) {
  if (act == 1) return S::max(a, S::zero());
  if (act == 2) return S::min(S::set1(6.f), S::max(S::zero(), a));
  if (act == 3) {
    const typename S::V t = S::min(S::set1(6.f), S::max(S::zero(), S::add(a, S::set1(3.f))));
    return S::mul(a, S::mul(t, S::set1(1.f / 6.f)));
  }
  return a;
}

// out[i] = (accumulate ? out[i] : bias) + Σ_k w[k]·taps[k][i] for i in [0, n), then the
// activation `relu` codes (dw_activate). Reads taps[k][0, n) only; writes out[0, n) only.
// 3×3 taps (MobileNet, ShuffleNet): the nine weights stay in registers and the nine tap pointers
// in general registers, so the inner loop is loads and FMAs only.
template <class S>
void depthwise_taps9(float* out, std::int64_t n, const float* const* taps, const float* w, float bias, int relu,
                     int accumulate) {
  using V = typename S::V;
  constexpr int L = S::L;
  const V b = S::set1(bias);
  const V w0 = S::set1(w[0]), w1 = S::set1(w[1]), w2 = S::set1(w[2]), w3 = S::set1(w[3]), w4 = S::set1(w[4]);
  const V w5 = S::set1(w[5]), w6 = S::set1(w[6]), w7 = S::set1(w[7]), w8 = S::set1(w[8]);
  const float *t0 = taps[0], *t1 = taps[1], *t2 = taps[2], *t3 = taps[3], *t4 = taps[4];
  const float *t5 = taps[5], *t6 = taps[6], *t7 = taps[7], *t8 = taps[8];
  auto sum = [&](V a, std::int64_t j) {
    a = S::fma(w0, S::loadu(t0 + j), a);
    a = S::fma(w1, S::loadu(t1 + j), a);
    a = S::fma(w2, S::loadu(t2 + j), a);
    a = S::fma(w3, S::loadu(t3 + j), a);
    a = S::fma(w4, S::loadu(t4 + j), a);
    a = S::fma(w5, S::loadu(t5 + j), a);
    a = S::fma(w6, S::loadu(t6 + j), a);
    a = S::fma(w7, S::loadu(t7 + j), a);
    return S::fma(w8, S::loadu(t8 + j), a);
  };
  std::int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    V a0 = sum(accumulate ? S::loadu(out + i) : b, i);
    V a1 = sum(accumulate ? S::loadu(out + i + L) : b, i + L);
    if (relu) {
      a0 = dw_activate<S>(a0, relu);
      a1 = dw_activate<S>(a1, relu);
    }
    S::storeu(out + i, a0);
    S::storeu(out + i + L, a1);
  }
  for (; i + L <= n; i += L) {
    V a = sum(accumulate ? S::loadu(out + i) : b, i);
    if (relu) a = dw_activate<S>(a, relu);
    S::storeu(out + i, a);
  }
  if (i < n) {
    const auto m = S::mask(0, static_cast<int>(n - i));
    V a = accumulate ? S::load(out + i, m) : b;
    for (std::int64_t k = 0; k < 9; ++k) a = S::fma(S::set1(w[k]), S::load(taps[k] + i, m), a);
    if (relu) a = dw_activate<S>(a, relu);
    S::store(out + i, m, a);
  }
}

template <class S>
void depthwise_taps(float* out, std::int64_t n, const float* const* taps, const float* w, std::int64_t kk, float bias,
                    int relu, int accumulate) {
  if (kk == 9) return depthwise_taps9<S>(out, n, taps, w, bias, relu, accumulate);
  using V = typename S::V;
  constexpr int L = S::L;
  const V b = S::set1(bias);
  std::int64_t i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    V a0 = accumulate ? S::loadu(out + i) : b;
    V a1 = accumulate ? S::loadu(out + i + L) : b;
    V a2 = accumulate ? S::loadu(out + i + 2 * L) : b;
    V a3 = accumulate ? S::loadu(out + i + 3 * L) : b;
    for (std::int64_t k = 0; k < kk; ++k) {
      const V wk = S::set1(w[k]);
      const float* t = taps[k] + i;
      a0 = S::fma(wk, S::loadu(t), a0);
      a1 = S::fma(wk, S::loadu(t + L), a1);
      a2 = S::fma(wk, S::loadu(t + 2 * L), a2);
      a3 = S::fma(wk, S::loadu(t + 3 * L), a3);
    }
    if (relu) {
      a0 = dw_activate<S>(a0, relu);
      a1 = dw_activate<S>(a1, relu);
      a2 = dw_activate<S>(a2, relu);
      a3 = dw_activate<S>(a3, relu);
    }
    S::storeu(out + i, a0);
    S::storeu(out + i + L, a1);
    S::storeu(out + i + 2 * L, a2);
    S::storeu(out + i + 3 * L, a3);
  }
  for (; i + L <= n; i += L) {
    V a = accumulate ? S::loadu(out + i) : b;
    for (std::int64_t k = 0; k < kk; ++k) a = S::fma(S::set1(w[k]), S::loadu(taps[k] + i), a);
    if (relu) a = dw_activate<S>(a, relu);
    S::storeu(out + i, a);
  }
  if (i < n) {
    const auto m = S::mask(0, static_cast<int>(n - i));
    V a = accumulate ? S::load(out + i, m) : b;
    for (std::int64_t k = 0; k < kk; ++k) a = S::fma(S::set1(w[k]), S::load(taps[k] + i, m), a);
    if (relu) a = dw_activate<S>(a, relu);
    S::store(out + i, m, a);
  }
}


// Direct grouped convolution at stride 1 (depthwise is cin = cout = 1), written against the flat
// layout grouped.cc prepares: each input plane padded so that tap k of output position i is
// in[c·ips + off[k] + i]. For rows r < rows and columns i < cols:
//   out[o·ops + r·ldo + i] = (accumulate ? out[…] : bias[o] or 0) + Σ_c Σ_k w[(o·cin + c)·kk + k] · in[c·ips + r·ldi + off[k] + i]
// then max(·, 0) when relu. A tile holds OB output channels × NV vectors in registers; every input
// vector is loaded once per tile and multiplied by OB broadcast weights (the FMAs use it OB times).
// The sums are a flat array whose loops unroll completely (see conv_direct.h on GCC's trap).
template <class S, int OB, int NV, bool TAIL>
MGE_NO_PCOM void gconv_tile(float* out, std::int64_t ops, const float* in, std::int64_t ips, std::int64_t cin,
                            const std::int64_t* off, std::int64_t kk, const float* w, const float* bias, int relu,
                            int accumulate, typename S::M mt) {
  using V = typename S::V;
  constexpr int L = S::L;
  V acc[OB * NV];
  MGE_UNROLL
  for (int b = 0; b < OB; ++b) {
    const V init = S::set1(bias ? bias[b] : 0.f);
    MGE_UNROLL
    for (int v = 0; v < NV; ++v) {
      float* o = out + b * ops + v * L;
      acc[b * NV + v] = accumulate ? (TAIL ? S::load(o, mt) : S::loadu(o)) : init;
    }
  }
  const std::int64_t wstride = cin * kk;
  for (std::int64_t c = 0; c < cin; ++c) {
    const float* ic = in + c * ips;
    const float* wc = w + c * kk;
    for (std::int64_t k = 0; k < kk; ++k) {
      const float* src = ic + off[k];
      V xv[NV];
      MGE_UNROLL
      for (int v = 0; v < NV; ++v) xv[v] = TAIL ? S::load(src + v * L, mt) : S::loadu(src + v * L);
      MGE_UNROLL
      for (int b = 0; b < OB; ++b) {
        const V wv = S::set1(wc[b * wstride + k]);
        MGE_UNROLL
        for (int v = 0; v < NV; ++v) acc[b * NV + v] = S::fma(wv, xv[v], acc[b * NV + v]);
      }
    }
  }
  const V z = S::zero();
  MGE_UNROLL
  for (int b = 0; b < OB; ++b) {
    MGE_UNROLL
    for (int v = 0; v < NV; ++v) {
      V a = acc[b * NV + v];
      if (relu) a = S::max(a, z);
      if (TAIL) S::store(out + b * ops + v * L, mt, a);
      else S::storeu(out + b * ops + v * L, a);
    }
  }
}

// Register blocks: OB·NV sums in at most half the vector registers (the rest hold inputs and a
// weight). NV is 1, 2 or 4, so a wider block's vectors split evenly into narrower ones.
template <class S, int OB>
constexpr int gconv_nv() {
  constexpr int nv = S::kRegs / 2 / OB;
  return nv >= 4 ? 4 : nv >= 2 ? 2 : 1;
}

// Every output channel at columns [i, i + NV·L) (or the masked partial vector), OB at a time.
template <class S, int NV, bool TAIL>
void gconv_column(float* out, std::int64_t ops, std::int64_t cout, const float* in, std::int64_t ips,
                  std::int64_t cin, const std::int64_t* off, std::int64_t kk, const float* w, const float* bias,
                  int relu, int accumulate, typename S::M mt) {
  const std::int64_t ws = cin * kk;
  std::int64_t o = 0;
  constexpr int NV8 = NV < gconv_nv<S, 8>() ? NV : gconv_nv<S, 8>();
  constexpr int NV4 = NV < gconv_nv<S, 4>() ? NV : gconv_nv<S, 4>();
  if constexpr (NV8 == NV) {
    for (; o + 8 <= cout; o += 8)
      gconv_tile<S, 8, NV, TAIL>(out + o * ops, ops, in, ips, cin, off, kk, w + o * ws, bias ? bias + o : nullptr, relu,
                                 accumulate, mt);
  } else {
    constexpr int L = S::L;
    for (; o + 8 <= cout; o += 8)
      for (int v = 0; v < NV; v += NV8)
        gconv_tile<S, 8, NV8, false>(out + o * ops + v * L, ops, in + v * L, ips, cin, off, kk, w + o * ws,
                                     bias ? bias + o : nullptr, relu, accumulate, mt);
  }
  if constexpr (NV4 == NV) {
    for (; o + 4 <= cout; o += 4)
      gconv_tile<S, 4, NV, TAIL>(out + o * ops, ops, in, ips, cin, off, kk, w + o * ws, bias ? bias + o : nullptr, relu,
                                 accumulate, mt);
  } else {
    constexpr int L = S::L;
    for (; o + 4 <= cout; o += 4)
      for (int v = 0; v < NV; v += NV4)
        gconv_tile<S, 4, NV4, false>(out + o * ops + v * L, ops, in + v * L, ips, cin, off, kk, w + o * ws,
                                     bias ? bias + o : nullptr, relu, accumulate, mt);
  }
  for (; o + 2 <= cout; o += 2)
    gconv_tile<S, 2, NV, TAIL>(out + o * ops, ops, in, ips, cin, off, kk, w + o * ws, bias ? bias + o : nullptr, relu,
                               accumulate, mt);
  for (; o < cout; ++o)
    gconv_tile<S, 1, NV, TAIL>(out + o * ops, ops, in, ips, cin, off, kk, w + o * ws, bias ? bias + o : nullptr, relu,
                               accumulate, mt);
}

template <class S>
void gconv_rows(float* out, std::int64_t ops, std::int64_t cout, std::int64_t rows, std::int64_t cols, std::int64_t ldo,
                const float* in, std::int64_t ips, std::int64_t ldi, std::int64_t cin, const std::int64_t* off,
                std::int64_t kk, const float* w, const float* bias, int relu, int accumulate) {
  constexpr int L = S::L;
  constexpr int NV = 4 < gconv_nv<S, 2>() ? 4 : gconv_nv<S, 2>();
  const typename S::M full = S::mask(0, L);
  for (std::int64_t r = 0; r < rows; ++r) {
    float* orow = out + r * ldo;
    const float* irow = in + r * ldi;
    std::int64_t i = 0;
    for (; i + NV * L <= cols; i += NV * L)
      gconv_column<S, NV, false>(orow + i, ops, cout, irow + i, ips, cin, off, kk, w, bias, relu, accumulate, full);
    for (; i + L <= cols; i += L)
      gconv_column<S, 1, false>(orow + i, ops, cout, irow + i, ips, cin, off, kk, w, bias, relu, accumulate, full);
    if (i < cols)
      gconv_column<S, 1, true>(orow + i, ops, cout, irow + i, ips, cin, off, kk, w, bias, relu, accumulate,
                               S::mask(0, static_cast<int>(cols - i)));
  }
}

// The depthwise filter gradient's dot products, KB taps at a time: lanes[k·16 + l] += lane l of
// Σ_i dy[i] · taps[k][i] for i in [0, n). Each tap's sum stays a vector in registers, and the
// lanes are summed once by the caller after the last row of the last image (a reduction per
// call would cost more than a short row's multiply-adds).
template <class S, int KB>
MGE_NO_PCOM void depthwise_dots_block(float* lanes, std::int64_t n, const float* dy, const float* const* taps) {
  using V = typename S::V;
  constexpr int L = S::L;
  static_assert(L <= 16, "lanes holds 16 floats per tap");
  V acc[KB];
  const float* t[KB];
  MGE_UNROLL
  for (int k = 0; k < KB; ++k) {
    acc[k] = S::loadu(lanes + k * 16);
    t[k] = taps[k];
  }
  std::int64_t i = 0;
  for (; i + L <= n; i += L) {
    const V d = S::loadu(dy + i);
    MGE_UNROLL
    for (int k = 0; k < KB; ++k) acc[k] = S::fma(d, S::loadu(t[k] + i), acc[k]);
  }
  if (i < n) {
    const auto m = S::mask(0, static_cast<int>(n - i));
    const V d = S::load(dy + i, m);
    MGE_UNROLL
    for (int k = 0; k < KB; ++k) acc[k] = S::fma(d, S::load(t[k] + i, m), acc[k]);
  }
  MGE_UNROLL
  for (int k = 0; k < KB; ++k) S::storeu(lanes + k * 16, acc[k]);
}

template <class S>
void depthwise_dots(float* lanes, std::int64_t n, const float* dy, const float* const* taps, std::int64_t kk) {
  std::int64_t k = 0;
  if (kk == 9) return depthwise_dots_block<S, 9>(lanes, n, dy, taps);
  for (; k + 8 <= kk; k += 8) depthwise_dots_block<S, 8>(lanes + k * 16, n, dy, taps + k);
  for (; k + 4 <= kk; k += 4) depthwise_dots_block<S, 4>(lanes + k * 16, n, dy, taps + k);
  for (; k < kk; ++k) depthwise_dots_block<S, 1>(lanes + k * 16, n, dy, taps + k);
}

// The grouped filter gradient's dot products: for OB output channels and TB taps (an input
// channel and a kernel position each), lanes[(o·ntaps + t)·16 + l] += lane l of
// Σ_i dy[o·dys + i] · taps[t][i]; OB·TB sums in registers, OB + TB loads per OB·TB FMAs.
template <class S, int OB, int TB>
MGE_NO_PCOM void gconv_dots_tile(float* lanes, std::int64_t ntaps, std::int64_t n, const float* dy, std::int64_t dys,
                                 const float* const* taps) {
  using V = typename S::V;
  constexpr int L = S::L;
  static_assert(L <= 16, "lanes holds 16 floats per sum");
  V acc[OB * TB];
  const float* t[TB];
  const float* d[OB];
  MGE_UNROLL
  for (int j = 0; j < TB; ++j) t[j] = taps[j];
  MGE_UNROLL
  for (int b = 0; b < OB; ++b) {
    d[b] = dy + b * dys;
    MGE_UNROLL
    for (int j = 0; j < TB; ++j) acc[b * TB + j] = S::loadu(lanes + (b * ntaps + j) * 16);
  }
  std::int64_t i = 0;
  for (; i + L <= n; i += L) {
    V tv[TB];
    MGE_UNROLL
    for (int j = 0; j < TB; ++j) tv[j] = S::loadu(t[j] + i);
    MGE_UNROLL
    for (int b = 0; b < OB; ++b) {
      const V dv = S::loadu(d[b] + i);
      MGE_UNROLL
      for (int j = 0; j < TB; ++j) acc[b * TB + j] = S::fma(dv, tv[j], acc[b * TB + j]);
    }
  }
  if (i < n) {
    const auto m = S::mask(0, static_cast<int>(n - i));
    V tv[TB];
    MGE_UNROLL
    for (int j = 0; j < TB; ++j) tv[j] = S::load(t[j] + i, m);
    MGE_UNROLL
    for (int b = 0; b < OB; ++b) {
      const V dv = S::load(d[b] + i, m);
      MGE_UNROLL
      for (int j = 0; j < TB; ++j) acc[b * TB + j] = S::fma(dv, tv[j], acc[b * TB + j]);
    }
  }
  MGE_UNROLL
  for (int b = 0; b < OB; ++b) {
    MGE_UNROLL
    for (int j = 0; j < TB; ++j) S::storeu(lanes + (b * ntaps + j) * 16, acc[b * TB + j]);
  }
}

template <class S, int OB>
void gconv_dots_taps(float* lanes, std::int64_t ntaps, std::int64_t n, const float* dy, std::int64_t dys,
                     const float* const* taps) {
  constexpr int TB = S::kRegs >= 32 ? 4 : 2;
  std::int64_t j = 0;
  for (; j + TB <= ntaps; j += TB) gconv_dots_tile<S, OB, TB>(lanes + j * 16, ntaps, n, dy, dys, taps + j);
  for (; j < ntaps; ++j) gconv_dots_tile<S, OB, 1>(lanes + j * 16, ntaps, n, dy, dys, taps + j);
}

template <class S>
void gconv_dots(float* lanes, std::int64_t cout, std::int64_t ntaps, std::int64_t n, const float* dy, std::int64_t dys,
                const float* const* taps) {
  std::int64_t o = 0;
  for (; o + 4 <= cout; o += 4) gconv_dots_taps<S, 4>(lanes + o * ntaps * 16, ntaps, n, dy + o * dys, dys, taps);
  for (; o < cout; ++o) gconv_dots_taps<S, 1>(lanes + o * ntaps * 16, ntaps, n, dy + o * dys, dys, taps);
}

}  // namespace

#define MGE_DEPTHWISE_ENTRY(isa, S)                                                                                  \
  extern "C" void mge_depthwise_taps_##isa(float* out, std::int64_t n, const float* const* taps, const float* w,   \
                                           std::int64_t kk, float bias, int relu, int accumulate) {                \
    depthwise_taps<S>(out, n, taps, w, kk, bias, relu, accumulate);                                                 \
  }                                                                                                                 \
  extern "C" void mge_gconv_rows_##isa(float* out, std::int64_t ops, std::int64_t cout, std::int64_t rows,          \
                                       std::int64_t cols, std::int64_t ldo, const float* in, std::int64_t ips,      \
                                       std::int64_t ldi, std::int64_t cin, const std::int64_t* off, std::int64_t kk, \
                                       const float* w, const float* bias, int relu, int accumulate) {               \
    gconv_rows<S>(out, ops, cout, rows, cols, ldo, in, ips, ldi, cin, off, kk, w, bias, relu, accumulate);          \
  }                                                                                                                 \
  extern "C" void mge_depthwise_dots_##isa(float* lanes, std::int64_t n, const float* dy, const float* const* taps,\
                                           std::int64_t kk) {                                                       \
    depthwise_dots<S>(lanes, n, dy, taps, kk);                                                                      \
  } \
  extern "C" void mge_gconv_dots_##isa(float* lanes, std::int64_t cout, std::int64_t ntaps, std::int64_t n,         \
                                       const float* dy, std::int64_t dys, const float* const* taps) {              \
    gconv_dots<S>(lanes, cout, ntaps, n, dy, dys, taps);                                                            \
  }
