// The depthwise convolution's inner loop, written once against simd_vec.h and instantiated per
// ISA (conv_direct_<isa>.cc). depthwise.cc lays each plane out so that every tap is one
// contiguous array (zero-padded, split into stride phases); what is left is a weighted sum of
// kk shifted arrays, which this computes a few vectors at a time with the accumulators in
// registers and the bias and relu applied before the single store.
#pragma once
#include <cstdint>

#include "simd_vec.h"

namespace {

// out[i] = (accumulate ? out[i] : bias) + Σ_k w[k]·taps[k][i] for i in [0, n), then max(·, 0)
// when relu. Reads taps[k][0, n) only; writes out[0, n) only.
// 3×3 taps (MobileNet, ShuffleNet): the nine weights stay in registers and the nine tap pointers
// in general registers, so the inner loop is loads and FMAs only.
template <class S>
void depthwise_taps9(float* out, std::int64_t n, const float* const* taps, const float* w, float bias, int relu,
                     int accumulate) {
  using V = typename S::V;
  constexpr int L = S::L;
  const V b = S::set1(bias);
  const V z = S::zero();
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
      a0 = S::max(a0, z);
      a1 = S::max(a1, z);
    }
    S::storeu(out + i, a0);
    S::storeu(out + i + L, a1);
  }
  for (; i + L <= n; i += L) {
    V a = sum(accumulate ? S::loadu(out + i) : b, i);
    if (relu) a = S::max(a, z);
    S::storeu(out + i, a);
  }
  if (i < n) {
    const auto m = S::mask(0, static_cast<int>(n - i));
    V a = accumulate ? S::load(out + i, m) : b;
    for (std::int64_t k = 0; k < 9; ++k) a = S::fma(S::set1(w[k]), S::load(taps[k] + i, m), a);
    if (relu) a = S::max(a, z);
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
  const V z = S::zero();
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
      a0 = S::max(a0, z);
      a1 = S::max(a1, z);
      a2 = S::max(a2, z);
      a3 = S::max(a3, z);
    }
    S::storeu(out + i, a0);
    S::storeu(out + i + L, a1);
    S::storeu(out + i + 2 * L, a2);
    S::storeu(out + i + 3 * L, a3);
  }
  for (; i + L <= n; i += L) {
    V a = accumulate ? S::loadu(out + i) : b;
    for (std::int64_t k = 0; k < kk; ++k) a = S::fma(S::set1(w[k]), S::loadu(taps[k] + i), a);
    if (relu) a = S::max(a, z);
    S::storeu(out + i, a);
  }
  if (i < n) {
    const auto m = S::mask(0, static_cast<int>(n - i));
    V a = accumulate ? S::load(out + i, m) : b;
    for (std::int64_t k = 0; k < kk; ++k) a = S::fma(S::set1(w[k]), S::load(taps[k] + i, m), a);
    if (relu) a = S::max(a, z);
    S::store(out + i, m, a);
  }
}

}  // namespace

#define MGE_DEPTHWISE_ENTRY(isa, S)                                                                                  \
  extern "C" void mge_depthwise_taps_##isa(float* out, std::int64_t n, const float* const* taps, const float* w,   \
                                           std::int64_t kk, float bias, int relu, int accumulate) {                \
    depthwise_taps<S>(out, n, taps, w, kk, bias, relu, accumulate);                                                 \
  }
