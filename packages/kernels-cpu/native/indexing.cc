#include "indexing.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace mge {
namespace {

// Walks index's elements in row-major order a row (its last axis) at a time, calling
// f(flat position of the row's first element, x offset of that element without `axis`,
// row length, x's step along the row, x's step along `axis`).
template <typename F>
void walk_rows(const i64* x_shape, const i64* index_shape, int rank, int axis, F f) {
  i64 x_strides[kMaxRank];
  i64 s = 1;
  for (int d = rank - 1; d >= 0; --d) {
    x_strides[d] = s;
    s *= x_shape[d];
  }
  i64 n = 1;
  for (int d = 0; d < rank; ++d) n *= index_shape[d];
  if (n == 0) return;
  const int last = rank - 1;
  const i64 row = index_shape[last];
  const i64 row_step = last == axis ? 0 : x_strides[last];
  i64 idx[kMaxRank] = {0};
  i64 base = 0;
  for (i64 i = 0; i < n; i += row) {
    f(i, base, row, row_step, x_strides[axis]);
    for (int d = last - 1; d >= 0; --d) {
      if (++idx[d] < index_shape[d]) {
        if (d != axis) base += x_strides[d];
        break;
      }
      if (d != axis) base -= (index_shape[d] - 1) * x_strides[d];
      idx[d] = 0;
    }
  }
}

template <typename T>
void gather_t(const T* x, const i64* x_shape, const std::int32_t* index, const i64* index_shape, int rank, int axis, T* out) {
  const i64 len = x_shape[axis];
  walk_rows(x_shape, index_shape, rank, axis, [&](i64 i, i64 base, i64 row, i64 row_step, i64 step) {
    for (i64 r = 0; r < row; ++r) {
      const i64 j = index[i + r];
      out[i + r] = j >= 0 && j < len ? x[base + r * row_step + j * step] : T(0);
    }
  });
}

template <typename T>
void scatter_add_t(const T* x, const i64* x_shape, const std::int32_t* index, const i64* index_shape, const T* src, int rank,
                   int axis, T* out, bool logical) {
  i64 size = 1;
  for (int d = 0; d < rank; ++d) size *= x_shape[d];
  if (size > 0) std::memcpy(out, x, static_cast<std::size_t>(size) * sizeof(T));
  const i64 len = x_shape[axis];
  walk_rows(x_shape, index_shape, rank, axis, [&](i64 i, i64 base, i64 row, i64 row_step, i64 step) {
    for (i64 r = 0; r < row; ++r) {
      const i64 j = index[i + r];
      if (j < 0 || j >= len) continue;
      T& o = out[base + r * row_step + j * step];
      o = logical ? T(o || src[i + r]) : T(o + src[i + r]);
    }
  });
}

template <typename T>
void argsort_t(const T* x, i64 outer, i64 n, i64 inner, bool descending, std::int32_t* out) {
  std::vector<std::int32_t> order(static_cast<std::size_t>(n));
  auto is_nan = [](T v) { return v != v; };
  for (i64 o = 0; o < outer; ++o) {
    for (i64 k = 0; k < inner; ++k) {
      const T* line = x + o * n * inner + k;
      for (i64 j = 0; j < n; ++j) order[j] = static_cast<std::int32_t>(j);
      std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
        const T va = line[a * inner], vb = line[b * inner];
        if (is_nan(va) || is_nan(vb)) return !is_nan(va) && is_nan(vb);
        return descending ? va > vb : va < vb;
      });
      std::int32_t* dst = out + o * n * inner + k;
      for (i64 j = 0; j < n; ++j) dst[j * inner] = order[j];
    }
  }
}

}  // namespace

void gather(int dtype, const void* x, const i64* x_shape, const std::int32_t* index, const i64* index_shape, int rank, int axis,
            void* out) {
  switch (dtype) {
    case kF32: return gather_t(static_cast<const float*>(x), x_shape, index, index_shape, rank, axis, static_cast<float*>(out));
    case kI32:
      return gather_t(static_cast<const std::int32_t*>(x), x_shape, index, index_shape, rank, axis, static_cast<std::int32_t*>(out));
    default:
      return gather_t(static_cast<const std::uint8_t*>(x), x_shape, index, index_shape, rank, axis, static_cast<std::uint8_t*>(out));
  }
}

void scatter_add(int dtype, const void* x, const i64* x_shape, const std::int32_t* index, const i64* index_shape, const void* src,
                 int rank, int axis, void* out) {
  switch (dtype) {
    case kF32:
      return scatter_add_t(static_cast<const float*>(x), x_shape, index, index_shape, static_cast<const float*>(src), rank, axis,
                           static_cast<float*>(out), false);
    case kI32:
      return scatter_add_t(static_cast<const std::int32_t*>(x), x_shape, index, index_shape, static_cast<const std::int32_t*>(src),
                           rank, axis, static_cast<std::int32_t*>(out), false);
    default:
      return scatter_add_t(static_cast<const std::uint8_t*>(x), x_shape, index, index_shape, static_cast<const std::uint8_t*>(src),
                           rank, axis, static_cast<std::uint8_t*>(out), true);
  }
}

void argsort(int dtype, const void* x, i64 outer, i64 n, i64 inner, bool descending, std::int32_t* out) {
  switch (dtype) {
    case kF32: return argsort_t(static_cast<const float*>(x), outer, n, inner, descending, out);
    case kI32: return argsort_t(static_cast<const std::int32_t*>(x), outer, n, inner, descending, out);
    default: return argsort_t(static_cast<const std::uint8_t*>(x), outer, n, inner, descending, out);
  }
}

}  // namespace mge
