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

// The expressions are the rows of @mge/core's elementwise table (ops_generated.h).
void unary_f32(int op, const float* x, float* o, i64 n) {
  if (op == kSign) return split(n, kParallelElems, [&](i64 b, i64 e) { sign_f32(x, o, b, e); });
  switch (op) {
#define MGE_CASE(code, heavy, ...) \
  case code: return map_f32(x, o, n, heavy, [](float v) -> float { return __VA_ARGS__; });
    MGE_UNARY_F32(MGE_CASE)
#undef MGE_CASE
  }
}

void unary_i32(int op, const i32* x, i32* o, i64 n) {
  switch (op) {
#define MGE_CASE(code, ...)                                               \
  case code:                                                              \
    return split(n, kParallelElems, [&](i64 b, i64 e) {                   \
      for (i64 i = b; i < e; ++i) {                                       \
        const i32 v = x[i];                                               \
        o[i] = __VA_ARGS__;                                               \
      }                                                                   \
    });
    MGE_UNARY_I32(MGE_CASE)
#undef MGE_CASE
  }
}

template <class T>
void unary_logical(int op, const T* x, u8* o, i64 n) {
  switch (op) {
#define MGE_CASE(code, ...)                                               \
  case code:                                                              \
    return split(n, kParallelElems, [&](i64 b, i64 e) {                   \
      for (i64 i = b; i < e; ++i) {                                       \
        const T v = x[i];                                                 \
        o[i] = (__VA_ARGS__) ? 1 : 0;                                     \
      }                                                                   \
    });
    MGE_UNARY_LOGICAL(MGE_CASE)
#undef MGE_CASE
  }
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
#define MGE_CASE(code, ...) \
  case code: return binary_run(a, b, ob, plan, [](T x, T y) -> u8 { return (__VA_ARGS__) ? 1 : 0; });
    MGE_BINARY_BOOL_OUT(MGE_CASE)
#undef MGE_CASE
  }
  if constexpr (std::is_same<T, float>::value) {
    switch (op) {
#define MGE_CASE(code, ...) \
  case code: return binary_run(a, b, o, plan, [](float x, float y) -> float { return __VA_ARGS__; });
      MGE_BINARY_F32(MGE_CASE)
#undef MGE_CASE
    }
  } else if constexpr (std::is_same<T, i32>::value) {
    switch (op) {
#define MGE_CASE(code, ...) \
  case code: return binary_run(a, b, o, plan, [](i32 x, i32 y) -> i32 { return __VA_ARGS__; });
      MGE_BINARY_I32(MGE_CASE)
#undef MGE_CASE
    }
  } else {
    // Arithmetic on bools stores whether the double result is non-zero (NaN counts as non-zero).
    switch (op) {
#define MGE_CASE(code, ...)                                           \
  case code:                                                          \
    return binary_run(a, b, o, plan, [](u8 xb, u8 yb) -> u8 {         \
      const double x = xb, y = yb;                                    \
      return (__VA_ARGS__) != 0;                                      \
    });
      MGE_BINARY_F32(MGE_CASE)
#undef MGE_CASE
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
  if (is_logical_unary(op)) {
    switch (dtype) {
      case kF32: return unary_logical(op, static_cast<const float*>(x), static_cast<u8*>(out), n);
      case kI32: return unary_logical(op, static_cast<const i32*>(x), static_cast<u8*>(out), n);
      default: return unary_logical(op, static_cast<const u8*>(x), static_cast<u8*>(out), n);
    }
  }
  (void)out_dtype;
  // addon.cc only lets float32 through, and int32 for the rows that keep it (has_int_kernel).
  if (dtype == kF32) return unary_f32(op, static_cast<const float*>(x), static_cast<float*>(out), n);
  return unary_i32(op, static_cast<const i32*>(x), static_cast<i32*>(out), n);
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
