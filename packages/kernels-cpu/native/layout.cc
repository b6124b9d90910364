// strided (the one gather kernel), concat and pad. All copy whole rows where they can.
#include <algorithm>
#include <cstring>

#include "ops.h"
#include "row_plan.h"
#include "scalar.h"
#include "thread_pool.h"

namespace mge {
namespace {

constexpr i64 kParallelElems = 1 << 16;

template <class T>
void gather_row(const T* src, i64 stride, T* dst, i64 n) {
  if (stride == 1) {
    std::memcpy(dst, src, sizeof(T) * static_cast<std::size_t>(n));
  } else if (stride == 0) {
    std::fill(dst, dst + n, *src);
  } else {
    for (i64 i = 0; i < n; ++i) dst[i] = src[i * stride];
  }
}

template <class T>
void strided_typed(const T* x, const RowPlan<2>& plan, i64 offset, T* out) {
  const i64 base[2] = {offset, 0};
  auto rows = [&](i64 r0, i64 r1) {
    for_rows(plan, r0, r1, base, [&](const i64* off, i64 len) {
      gather_row(x + off[0], plan.row_stride[0], out + off[1], len);
    });
  };
  if (plan.rows * plan.row < kParallelElems) {
    rows(0, plan.rows);
  } else {
    parallel_for(plan.rows, std::max<i64>(1, kParallelElems / 2 / std::max<i64>(plan.row, 1)), rows);
  }
}

}  // namespace

void strided(std::size_t elem, const void* x, int rank, const i64* out_shape, const i64* strides, i64 offset,
             void* out) {
  i64 st[2][kMaxRank];
  i64 s = 1;
  for (int d = rank - 1; d >= 0; --d) {
    st[0][d] = strides[d];
    st[1][d] = s;
    s *= out_shape[d];
  }
  const RowPlan<2> plan = plan_rows<2>(rank, out_shape, st);
  if (elem == 4) {
    strided_typed(static_cast<const std::uint32_t*>(x), plan, offset, static_cast<std::uint32_t*>(out));
  } else {
    strided_typed(static_cast<const std::uint8_t*>(x), plan, offset, static_cast<std::uint8_t*>(out));
  }
}

void concat(std::size_t elem, int count, const void* const* xs, const i64* chunks, i64 outer, void* out) {
  i64 row = 0;
  for (int i = 0; i < count; ++i) row += chunks[i];
  auto body = [&](i64 o0, i64 o1) {
    for (i64 o = o0; o < o1; ++o) {
      char* dst = static_cast<char*>(out) + static_cast<std::size_t>(o * row) * elem;
      for (int i = 0; i < count; ++i) {
        const std::size_t bytes = static_cast<std::size_t>(chunks[i]) * elem;
        if (bytes == 0) continue;  // empty inputs may have no storage at all
        std::memcpy(dst, static_cast<const char*>(xs[i]) + static_cast<std::size_t>(o) * bytes, bytes);
        dst += bytes;
      }
    }
  };
  if (outer * row < kParallelElems || outer == 1) {
    body(0, outer);
  } else {
    parallel_for(outer, std::max<i64>(1, kParallelElems / 2 / std::max<i64>(row, 1)), body);
  }
}

namespace {

template <class T>
void pad_typed(const T* x, int rank, const i64* shape, const i64* before, const i64* after, T value, T* out) {
  i64 out_shape[kMaxRank];
  i64 out_size = 1, in_size = 1;
  for (int d = 0; d < rank; ++d) {
    out_shape[d] = shape[d] + before[d] + after[d];
    out_size *= out_shape[d];
    in_size *= shape[d];
  }
  std::fill(out, out + out_size, value);
  if (in_size == 0) return;
  // Copy the input into the interior: the input's dims, walked with output strides.
  i64 st[2][kMaxRank];
  i64 si = 1, so = 1;
  i64 origin = 0;
  for (int d = rank - 1; d >= 0; --d) {
    st[0][d] = si;
    st[1][d] = so;
    origin += before[d] * so;
    si *= shape[d];
    so *= out_shape[d];
  }
  const RowPlan<2> plan = plan_rows<2>(rank, shape, st);
  const i64 base[2] = {0, origin};
  for_rows(plan, 0, plan.rows, base, [&](const i64* off, i64 len) {
    const T* src = x + off[0];
    T* dst = out + off[1];
    if (plan.row_stride[0] == 1 && plan.row_stride[1] == 1) {
      std::memcpy(dst, src, sizeof(T) * static_cast<std::size_t>(len));
    } else {
      for (i64 i = 0; i < len; ++i) dst[i * plan.row_stride[1]] = src[i * plan.row_stride[0]];
    }
  });
}

}  // namespace

void pad(int dtype, const void* x, int rank, const i64* shape, const i64* before, const i64* after, double value,
         void* out) {
  switch (dtype) {
    case kF32:
      return pad_typed(static_cast<const float*>(x), rank, shape, before, after, static_cast<float>(value),
                       static_cast<float*>(out));
    case kI32:
      return pad_typed(static_cast<const std::int32_t*>(x), rank, shape, before, after, to_int32(value),
                       static_cast<std::int32_t*>(out));
    default:
      return pad_typed(static_cast<const std::uint8_t*>(x), rank, shape, before, after,
                       static_cast<std::uint8_t>(value != 0 ? 1 : 0), static_cast<std::uint8_t*>(out));
  }
}

}  // namespace mge
