// Partial selection: std::partial_sort keeps a heap of the k best positions, O(n log k) per
// row instead of the full sort's O(n log n). Ties break on the position, so the result is
// exactly argsort's first k (stable), and NaN sorts last as there.
#include "topk.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace mge {
namespace {

template <typename T>
void topk_t(const T* x, i64 outer, i64 n, i64 inner, i64 k, bool descending, std::int32_t* out) {
  std::vector<std::int32_t> order(static_cast<std::size_t>(n));
  std::vector<T> line(static_cast<std::size_t>(n));
  auto is_nan = [](T v) { return v != v; };
  for (i64 o = 0; o < outer; ++o) {
    for (i64 c = 0; c < inner; ++c) {
      const T* src = x + o * n * inner + c;
      // a contiguous copy of the row: the comparisons then read neighbouring memory
      for (i64 j = 0; j < n; ++j) line[j] = src[j * inner];
      std::iota(order.begin(), order.end(), 0);
      const T* v = line.data();
      auto before = [&](std::int32_t a, std::int32_t b) {
        const T va = v[a], vb = v[b];
        if (is_nan(va) || is_nan(vb)) return is_nan(va) == is_nan(vb) ? a < b : is_nan(vb);
        if (va == vb) return a < b;
        return descending ? va > vb : va < vb;
      };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      std::int32_t* dst = out + o * k * inner + c;
      for (i64 j = 0; j < k; ++j) dst[j * inner] = order[j];
    }
  }
}

}  // namespace

void topk(int dtype, const void* x, i64 outer, i64 n, i64 inner, i64 k, bool descending, std::int32_t* out) {
  switch (dtype) {
    case kF32: return topk_t(static_cast<const float*>(x), outer, n, inner, k, descending, out);
    case kI32: return topk_t(static_cast<const std::int32_t*>(x), outer, n, inner, k, descending, out);
    default: return topk_t(static_cast<const std::uint8_t*>(x), outer, n, inner, k, descending, out);
  }
}

}  // namespace mge
