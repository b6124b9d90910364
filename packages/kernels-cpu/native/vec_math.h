// exp and erf for float32 loops the compiler vectorises (plain arithmetic, selects and an
// int↔float bit move; no libm calls, which stay scalar), for the GELU kernels (attention.cc
// has the same exp on its 16-lane vector type). exp is accurate to a few float32 ulps; erf to
// about 1e-7 absolute, which is what 1 + erf in GELU needs.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace mge {

// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial (Cephes' expf
// coefficients), 2^n put into the exponent bits. Below −87.3 (where float32 stops) gives 0;
// the top is clamped at 88 (e^88 ≈ 1.65e38, the callers only pass x ≤ 0).
inline float exp_f32(float x) {
  const float lo = -87.3365447505531f;
  float xc = x > 88.0f ? 88.0f : x;
  xc = xc < lo ? lo : xc;
  // round to nearest by adding 1.5·2²³ (the integer lands in the low mantissa bits)
  const float shifted = xc * 1.44269504088896341f + 12582912.0f;
  const float n = shifted - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  std::int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  bits = (bits - 0x4B400000 + 127) << 23;
  float pow2;
  std::memcpy(&pow2, &bits, sizeof pow2);
  return x < lo ? 0.0f : y * pow2;
}

// erf(x) = sign(x)·(1 − t·e^(−x²+P(t))), t = 1/(1 + |x|/2) (the Chebyshev fit of Numerical
// Recipes' erfc, relative error below 1.2e-7 on erfc), clamped to ±1 beyond |x| = 4.
inline float erf_f32(float x) {
  const float z = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  const float erfc = t * exp_f32(-z * z + p);
  const float e = 1.0f - erfc;
  return x < 0 ? -e : e;
}

}  // namespace mge
