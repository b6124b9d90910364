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

}  // namespace mge
