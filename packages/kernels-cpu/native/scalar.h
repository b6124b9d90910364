// Scalar semantics shared by the elementwise kernels. They follow @mge/core's js
// backend exactly: results are what a JS typed-array store of the double result would hold.
#pragma once
#include <cmath>
#include <cstdint>

namespace mge {

// ECMAScript ToInt32: truncate, wrap modulo 2^32; NaN and ±Inf give 0.
inline std::int32_t to_int32(double x) {
  if (x > -2147483649.0 && x < 2147483648.0) return static_cast<std::int32_t>(x);
  if (!std::isfinite(x)) return 0;
  double m = std::fmod(std::trunc(x), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(m));
}

// The float -> int32 cast rule of every backend (core's testing/cases/cast.ts): truncate
// toward zero, clamp to [-2^31, 2^31-1], NaN -> 0.
inline std::int32_t saturate_int32(double x) {
  if (x >= 2147483647.0) return 2147483647;
  if (x <= -2147483648.0) return -2147483647 - 1;
  return x == x ? static_cast<std::int32_t>(x) : 0;
}

// ECMAScript ToUint8 (what a Uint8Array store does).
inline std::uint8_t to_uint8(double x) { return static_cast<std::uint8_t>(static_cast<std::uint32_t>(to_int32(x))); }

template <class T>
inline T store_as(double x);
template <>
inline float store_as<float>(double x) { return static_cast<float>(x); }
template <>
inline std::int32_t store_as<std::int32_t>(double x) { return to_int32(x); }
template <>
inline std::uint8_t store_as<std::uint8_t>(double x) { return to_uint8(x); }

inline std::int32_t wrap_add(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) + static_cast<std::uint32_t>(b));
}
inline std::int32_t wrap_sub(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) - static_cast<std::uint32_t>(b));
}
inline std::int32_t wrap_mul(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) * static_cast<std::uint32_t>(b));
}

// Integer power with wrap-around; a negative exponent gives 1/base truncated.
inline std::int32_t ipow(std::int32_t base, std::int32_t e) {
  if (e < 0) {
    if (base == 1) return 1;
    if (base == -1) return (e % 2 == 0) ? 1 : -1;
    return 0;
  }
  std::int32_t r = 1;
  while (e > 0) {
    if (e & 1) r = wrap_mul(r, base);
    base = wrap_mul(base, base);
    e >>= 1;
  }
  return r;
}

inline float sigmoidf(float x) {
  if (x >= 0) return 1.f / (1.f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.f + e);
}

// NaN-propagating max/min (np.maximum, Math.max).
template <class T>
inline T nan_max(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  return a > b ? a : b;
}
template <class T>
inline T nan_min(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  return a < b ? a : b;
}

}  // namespace mge
