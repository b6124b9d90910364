// unary, binary (broadcasting), where and cast.
#include <cmath>
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "ops.h"
#include "row_plan.h"
#include "scalar.h"
#include "thread_pool.h"

namespace mge {
namespace {

using u8 = std::uint8_t;
using i32 = std::int32_t;

// Elementwise work below this many elements stays on the calling thread.
constexpr i64 kParallelElems = 1 << 16;
constexpr i64 kParallelElemsHeavy = 1 << 13;  // exp, tanh, erf …: compute-bound

template <class F>
void split(i64 n, i64 threshold, F&& body) {
  if (n < threshold) {
    body(0, n);
    return;
  }
  parallel_for(n, threshold / 2, body);
}

// ---- unary ------------------------------------------------------------------

template <class F>
void map_f32(const float* x, float* o, i64 n, bool heavy, F f) {
  split(n, heavy ? kParallelElemsHeavy : kParallelElems, [&](i64 b, i64 e) {
    for (i64 i = b; i < e; ++i) o[i] = f(x[i]);
  });
}

// sign of a float run: 0, -0 and NaN pass through. Two independent selects (not a nested
// ternary) so the loop vectorises; with SSE2 alone the selects make it compute-bound (about 3×
// slower than a negation), so GCC also builds AVX2 and AVX-512 clones and picks one at load time.
// It is relu's gradient mask in training, over every conv activation.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void sign_f32(const float* x, float* o, i64 b, i64 e) {
  for (i64 i = b; i < e; ++i) {
    const float v = x[i];
    const float s = v > 0 ? 1.f : v;
    o[i] = v < 0 ? -1.f : s;
  }
}

void unary_f32(int op, const float* x, float* o, i64 n) {
  switch (op) {
    case kNeg: return map_f32(x, o, n, false, [](float v) { return -v; });
    case kAbs: return map_f32(x, o, n, false, [](float v) { return std::fabs(v); });
    case kSign: return split(n, kParallelElems, [&](i64 b, i64 e) { sign_f32(x, o, b, e); });
    case kExp: return map_f32(x, o, n, true, [](float v) { return std::exp(v); });
    case kLog: return map_f32(x, o, n, true, [](float v) { return std::log(v); });
    case kSqrt: return map_f32(x, o, n, false, [](float v) { return std::sqrt(v); });
    case kSigmoid: return map_f32(x, o, n, true, [](float v) { return sigmoidf(v); });
    case kTanh: return map_f32(x, o, n, true, [](float v) { return std::tanh(v); });
    case kRelu: return map_f32(x, o, n, false, [](float v) { return v < 0 ? 0.f : v; });
    case kFloor: return map_f32(x, o, n, false, [](float v) { return std::floor(v); });
    case kCeil: return map_f32(x, o, n, false, [](float v) { return std::ceil(v); });
    // nearbyint rounds half to even in the default rounding mode, as NumPy's round.
    case kRound: return map_f32(x, o, n, false, [](float v) { return std::nearbyint(v); });
    case kSin: return map_f32(x, o, n, true, [](float v) { return std::sin(v); });
    case kCos: return map_f32(x, o, n, true, [](float v) { return std::cos(v); });
    case kErf: return map_f32(x, o, n, true, [](float v) { return std::erf(v); });
  }
}

double unary_scalar(int op, double v) {
  switch (op) {
    case kNeg: return -v;
    case kAbs: return std::fabs(v);
    case kSign: return v > 0 ? 1 : v < 0 ? -1 : v;
    case kExp: return std::exp(v);
    case kLog: return std::log(v);
    case kSqrt: return std::sqrt(v);
    case kSigmoid: return v >= 0 ? 1 / (1 + std::exp(-v)) : std::exp(v) / (1 + std::exp(v));
    case kTanh: return std::tanh(v);
    case kRelu: return v < 0 ? 0 : v;
    case kFloor: return std::floor(v);
    case kCeil: return std::ceil(v);
    case kRound: return std::nearbyint(v);
    case kSin: return std::sin(v);
    case kCos: return std::cos(v);
    case kErf: return std::erf(v);
    case kLogicalNot: return v == 0 ? 1 : 0;
  }
  return 0;
}

template <class T, class O>
void unary_generic(int op, const T* x, O* o, i64 n) {
  split(n, kParallelElems, [&](i64 b, i64 e) {
    for (i64 i = b; i < e; ++i) o[i] = store_as<O>(unary_scalar(op, static_cast<double>(x[i])));
  });
}

template <class T>
void logical_not(const T* x, u8* o, i64 n) {
  split(n, kParallelElems, [&](i64 b, i64 e) {
    for (i64 i = b; i < e; ++i) o[i] = x[i] == 0 ? 1 : 0;
  });
}

// ---- binary -----------------------------------------------------------------

// One row of a broadcast binary op; the common stride patterns get their own loops
// so the compiler can vectorise them.
template <class T, class O, class F>
inline void binary_row(const T* a, i64 sa, const T* b, i64 sb, O* o, i64 n, F f) {
  if (sa == 1 && sb == 1) {
    for (i64 i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const T bv = *b;
    for (i64 i = 0; i < n; ++i) o[i] = f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const T av = *a;
    for (i64 i = 0; i < n; ++i) o[i] = f(av, b[i]);
  } else {
    for (i64 i = 0; i < n; ++i) o[i] = f(a[i * sa], b[i * sb]);
  }
}

template <class T, class O, class F>
void binary_run(const T* a, const T* b, O* o, const RowPlan<3>& plan, F f) {
  const i64 total = plan.rows * plan.row;
  const i64 base[3] = {0, 0, 0};
  auto rows = [&](i64 r0, i64 r1) {
    for_rows(plan, r0, r1, base, [&](const i64* off, i64 len) {
      binary_row(a + off[0], plan.row_stride[0], b + off[1], plan.row_stride[1], o + off[2], len, f);
    });
  };
  if (total < kParallelElems) {
    rows(0, plan.rows);
  } else if (plan.rows == 1) {
    // One long row (same-shape or scalar-broadcast operands): split the row itself.
    const i64 sa = plan.row_stride[0], sb = plan.row_stride[1];
    parallel_for(plan.row, kParallelElems / 2, [&](i64 e0, i64 e1) {
      binary_row(a + e0 * sa, sa, b + e0 * sb, sb, o + e0, e1 - e0, f);
    });
  } else {
    parallel_for(plan.rows, std::max<i64>(1, kParallelElems / 2 / std::max<i64>(plan.row, 1)), rows);
  }
}

template <class T>
void binary_typed(int op, const T* a, const T* b, void* out, const RowPlan<3>& plan) {
  u8* ob = static_cast<u8*>(out);
  T* o = static_cast<T*>(out);
  switch (op) {
    case kEq: return binary_run(a, b, ob, plan, [](T x, T y) -> u8 { return x == y; });
    case kNe: return binary_run(a, b, ob, plan, [](T x, T y) -> u8 { return x != y; });
    case kLt: return binary_run(a, b, ob, plan, [](T x, T y) -> u8 { return x < y; });
    case kLe: return binary_run(a, b, ob, plan, [](T x, T y) -> u8 { return x <= y; });
    case kGt: return binary_run(a, b, ob, plan, [](T x, T y) -> u8 { return x > y; });
    case kGe: return binary_run(a, b, ob, plan, [](T x, T y) -> u8 { return x >= y; });
    case kLogicalAnd: return binary_run(a, b, ob, plan, [](T x, T y) -> u8 { return x != 0 && y != 0; });
    case kLogicalOr: return binary_run(a, b, ob, plan, [](T x, T y) -> u8 { return x != 0 || y != 0; });
  }
  if constexpr (std::is_same<T, float>::value) {
    switch (op) {
      case kAdd: return binary_run(a, b, o, plan, [](float x, float y) { return x + y; });
      case kSub: return binary_run(a, b, o, plan, [](float x, float y) { return x - y; });
      case kMul: return binary_run(a, b, o, plan, [](float x, float y) { return x * y; });
      case kDiv: return binary_run(a, b, o, plan, [](float x, float y) { return x / y; });
      case kPow:
        return binary_run(a, b, o, plan, [](float x, float y) {
          return static_cast<float>(std::pow(static_cast<double>(x), static_cast<double>(y)));
        });
      case kMaximum: return binary_run(a, b, o, plan, [](float x, float y) { return nan_max(x, y); });
      case kMinimum: return binary_run(a, b, o, plan, [](float x, float y) { return nan_min(x, y); });
    }
  } else if constexpr (std::is_same<T, i32>::value) {
    switch (op) {
      case kAdd: return binary_run(a, b, o, plan, wrap_add);
      case kSub: return binary_run(a, b, o, plan, wrap_sub);
      case kMul: return binary_run(a, b, o, plan, wrap_mul);
      case kDiv:
        // JS: the double quotient stored into an Int32Array (x/0 → ±Inf or NaN → 0).
        return binary_run(a, b, o, plan, [](i32 x, i32 y) -> i32 {
          if (y == 0) return 0;
          if (y == -1) return wrap_sub(0, x);
          return x / y;
        });
      case kPow: return binary_run(a, b, o, plan, ipow);
      case kMaximum: return binary_run(a, b, o, plan, [](i32 x, i32 y) { return x > y ? x : y; });
      case kMinimum: return binary_run(a, b, o, plan, [](i32 x, i32 y) { return x < y ? x : y; });
    }
  } else {
    // Arithmetic on bools stores whether the double result is non-zero (NaN counts as non-zero).
    switch (op) {
      case kAdd: return binary_run(a, b, o, plan, [](u8 x, u8 y) -> u8 { return (x | y) != 0; });
      case kSub: return binary_run(a, b, o, plan, [](u8 x, u8 y) -> u8 { return x != y; });
      case kMul: return binary_run(a, b, o, plan, [](u8 x, u8 y) -> u8 { return (x & y) != 0; });
      case kDiv: return binary_run(a, b, o, plan, [](u8 x, u8 y) -> u8 { return y == 0 ? 1 : x; });
      case kPow: return binary_run(a, b, o, plan, [](u8 x, u8 y) -> u8 { return y == 0 ? 1 : x; });
      case kMaximum: return binary_run(a, b, o, plan, [](u8 x, u8 y) -> u8 { return x > y ? x : y; });
      case kMinimum: return binary_run(a, b, o, plan, [](u8 x, u8 y) -> u8 { return x < y ? x : y; });
    }
  }
}

// ---- where --------------------------------------------------------------------

template <class T>
void where_typed(const u8* c, const T* a, const T* b, T* o, const RowPlan<4>& plan) {
  const i64 base[4] = {0, 0, 0, 0};
  const i64 sc = plan.row_stride[0], sa = plan.row_stride[1], sb = plan.row_stride[2];
  auto rows = [&](i64 r0, i64 r1) {
    for_rows(plan, r0, r1, base, [&](const i64* off, i64 len) {
      const u8* cc = c + off[0];
      const T* aa = a + off[1];
      const T* bb = b + off[2];
      T* oo = o + off[3];
      if (sc == 1 && sa == 1 && sb == 1) {
        for (i64 i = 0; i < len; ++i) oo[i] = cc[i] ? aa[i] : bb[i];
      } else {
        for (i64 i = 0; i < len; ++i) oo[i] = cc[i * sc] ? aa[i * sa] : bb[i * sb];
      }
    });
  };
  if (plan.rows * plan.row < kParallelElems) {
    rows(0, plan.rows);
  } else {
    parallel_for(plan.rows, std::max<i64>(1, kParallelElems / 2 / std::max<i64>(plan.row, 1)), rows);
  }
}

template <class From, class To>
void cast_typed(const From* x, To* o, i64 n) {
  split(n, kParallelElems, [&](i64 b, i64 e) {
    for (i64 i = b; i < e; ++i) {
      if constexpr (std::is_same<To, u8>::value) {
        o[i] = x[i] != 0 ? 1 : 0;  // NaN is true
      } else if constexpr (std::is_same<To, i32>::value && std::is_same<From, float>::value) {
        o[i] = saturate_int32(x[i]);
      } else {
        o[i] = static_cast<To>(x[i]);
      }
    }
  });
}

template <class From>
void cast_from(const From* x, int to, void* out, i64 n) {
  switch (to) {
    case kF32: return cast_typed(x, static_cast<float*>(out), n);
    case kI32: return cast_typed(x, static_cast<i32*>(out), n);
    default: return cast_typed(x, static_cast<u8*>(out), n);
  }
}

}  // namespace

void unary(int op, int dtype, const void* x, void* out, int out_dtype, i64 n) {
  if (op == kLogicalNot) {
    switch (dtype) {
      case kF32: return logical_not(static_cast<const float*>(x), static_cast<u8*>(out), n);
      case kI32: return logical_not(static_cast<const i32*>(x), static_cast<u8*>(out), n);
      default: return logical_not(static_cast<const u8*>(x), static_cast<u8*>(out), n);
    }
  }
  (void)out_dtype;
  switch (dtype) {
    case kF32: return unary_f32(op, static_cast<const float*>(x), static_cast<float*>(out), n);
    case kI32:
      if (op == kNeg) {
        const i32* xi = static_cast<const i32*>(x);
        i32* o = static_cast<i32*>(out);
        return split(n, kParallelElems, [&](i64 b, i64 e) {
          for (i64 i = b; i < e; ++i) o[i] = wrap_sub(0, xi[i]);
        });
      }
      return unary_generic(op, static_cast<const i32*>(x), static_cast<i32*>(out), n);
    default: return unary_generic(op, static_cast<const u8*>(x), static_cast<u8*>(out), n);
  }
}

void binary(int op, int dtype, const Operand& a, const Operand& b, void* out, int rank, const i64* out_shape) {
  i64 strides[3][kMaxRank];
  broadcast_strides(rank, a.shape, strides[0]);
  broadcast_strides(rank, b.shape, strides[1]);
  broadcast_strides(rank, out_shape, strides[2]);
  const RowPlan<3> plan = plan_rows<3>(rank, out_shape, strides);
  switch (dtype) {
    case kF32: return binary_typed(op, static_cast<const float*>(a.data), static_cast<const float*>(b.data), out, plan);
    case kI32: return binary_typed(op, static_cast<const i32*>(a.data), static_cast<const i32*>(b.data), out, plan);
    default: return binary_typed(op, static_cast<const u8*>(a.data), static_cast<const u8*>(b.data), out, plan);
  }
}

void where(const Operand& cond, const Operand& a, const Operand& b, int dtype, void* out, int rank,
           const i64* out_shape) {
  i64 strides[4][kMaxRank];
  broadcast_strides(rank, cond.shape, strides[0]);
  broadcast_strides(rank, a.shape, strides[1]);
  broadcast_strides(rank, b.shape, strides[2]);
  broadcast_strides(rank, out_shape, strides[3]);
  const RowPlan<4> plan = plan_rows<4>(rank, out_shape, strides);
  const u8* c = static_cast<const u8*>(cond.data);
  switch (dtype) {
    case kF32:
      return where_typed(c, static_cast<const float*>(a.data), static_cast<const float*>(b.data),
                         static_cast<float*>(out), plan);
    case kI32:
      return where_typed(c, static_cast<const i32*>(a.data), static_cast<const i32*>(b.data), static_cast<i32*>(out),
                         plan);
    default:
      return where_typed(c, static_cast<const u8*>(a.data), static_cast<const u8*>(b.data), static_cast<u8*>(out),
                         plan);
  }
}

void cast(int from, const void* x, int to, void* out, i64 n) {
  if (n == 0) return;
  if (from == to) {
    std::memcpy(out, x, static_cast<std::size_t>(n) * dtype_size(from));
    return;
  }
  switch (from) {
    case kF32: return cast_from(static_cast<const float*>(x), to, out, n);
    case kI32: return cast_from(static_cast<const i32*>(x), to, out, n);
    default: return cast_from(static_cast<const u8*>(x), to, out, n);
  }
}

}  // namespace mge
