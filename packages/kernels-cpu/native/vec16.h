// 16 float lanes as a GCC vector type: one zmm on AVX-512, two ymm on AVX2, four xmm elsewhere.
// Written once here for the row kernels (attention, layer norm) compiled per ISA with
// target_clones; always_inline so each clone gets its own copy at its own width.
#pragma once
#include <cstdint>
#include <cstring>

namespace mge {

#define MGE_INLINE __attribute__((always_inline)) inline

typedef float V16 __attribute__((vector_size(64)));
typedef std::int32_t V16i __attribute__((vector_size(64)));

MGE_INLINE V16 load16(const float* p) {
  V16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
MGE_INLINE void store16(float* p, V16 v) { std::memcpy(p, &v, sizeof v); }
MGE_INLINE V16 splat(float a) { return V16{} + a; }

// Horizontal sum and max by halving (four vector steps, not fifteen scalar ones).
MGE_INLINE V16 swap_halves(V16 v, int w) {
  const V16i lane{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return __builtin_shuffle(v, lane ^ w);
}
MGE_INLINE float hsum(V16 v) {
  for (int w = 8; w >= 1; w >>= 1) v += swap_halves(v, w);
  return v[0];
}
MGE_INLINE float hmax(V16 v) {
  for (int w = 8; w >= 1; w >>= 1) {
    const V16 u = swap_halves(v, w);
    v = u > v ? u : v;
  }
  return v[0];
}

// exp_f32 (vec_math.h) on 16 lanes at once, the same steps written on the vector type.
MGE_INLINE V16 exp16(V16 x) {
  const float lo = -87.3365447505531f;
  V16 xc = x > 88.0f ? splat(88.0f) : x;
  xc = xc < lo ? splat(lo) : xc;
  const V16 shifted = xc * 1.44269504088896341f + 12582912.0f;
  const V16 n = shifted - 12582912.0f;
  V16 r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  V16 q = splat(1.9875691500e-4f);
  q = q * r + 1.3981999507e-3f;
  q = q * r + 8.3334519073e-3f;
  q = q * r + 4.1665795894e-2f;
  q = q * r + 1.6666665459e-1f;
  q = q * r + 5.0000001201e-1f;
  const V16 y = q * r * r + r + 1.0f;
  const V16i bits = ((V16i)shifted - 0x4B400000 + 127) << 23;  // vector casts move bits
  const V16 pow2 = (V16)bits;
  return x < lo ? V16{} : y * pow2;
}

}  // namespace mge
