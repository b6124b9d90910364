// reduce and argReduce. Dimensions are grouped into runs of kept and reduced
// axes; the work is split over output elements (or over columns of the output
// when the innermost run is kept), so threads never write the same output.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops.h"
#include "scalar.h"
#include "thread_pool.h"

namespace mge {
namespace {

using i32 = std::int32_t;

constexpr i64 kParallelElems = 1 << 16;

struct Group {
  i64 size, stride;  // stride in input elements
  bool reduced;
};

// Float accumulators are double (as the js backend); int32 ones wrap at every step.
template <class T>
struct Acc {
  using type = double;
};
template <>
struct Acc<i32> {
  using type = i32;
};

template <class T>
typename Acc<T>::type identity(int op) {
  using A = typename Acc<T>::type;
  switch (op) {
    case kSum: return A(0);
    case kProd: return A(1);
    case kMax:
      return std::is_same<T, i32>::value ? A(std::numeric_limits<i32>::min()) : A(-INFINITY);
    default:
      return std::is_same<T, i32>::value ? A(std::numeric_limits<i32>::max()) : A(INFINITY);
  }
}

template <class T, int OP>
inline typename Acc<T>::type combine(typename Acc<T>::type a, T v) {
  using A = typename Acc<T>::type;
  if constexpr (std::is_same<T, i32>::value) {
    if (OP == kSum) return wrap_add(a, v);
    if (OP == kProd) return wrap_mul(a, v);
    if (OP == kMax) return a > v ? a : v;
    return a < v ? a : v;
  } else {
    const A x = static_cast<A>(v);
    if (OP == kSum) return a + x;
    if (OP == kProd) return a * x;
    if (OP == kMax) return nan_max(a, x);
    return nan_min(a, x);
  }
}

// The sum of a float run in double. Sixteen partial sums in separate lanes: GCC turns them into
// vector adds of converted floats, which the AVX2/AVX-512 clones (chosen at load time) do 4 or 8
// at a time; with four scalar partial sums the adds waited on each other (a conv layer's bias
// gradient, [64,6,28,28] over N, H, W: ~60 → ~20 µs).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
double sum_run_f32(const float* x, i64 n) {
  double s[16] = {};
  i64 i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) s[k] += x[i + k];
  double t = 0;
  for (int k = 0; k < 16; ++k) t += s[k];
  for (; i < n; ++i) t += x[i];
  return t;
}

// Folds a contiguous run into one accumulator.
template <class T, int OP>
inline typename Acc<T>::type fold_run(typename Acc<T>::type acc, const T* x, i64 n) {
  if constexpr (OP == kSum && !std::is_same<T, i32>::value) {
    return acc + sum_run_f32(x, n);
  } else {
    for (i64 i = 0; i < n; ++i) acc = combine<T, OP>(acc, x[i]);
    return acc;
  }
}

// Walks every index of the reduced groups (all but the innermost one when
// `skip_last`), calling f(offset) with the input offset of each.
template <class F>
void for_each_reduced(const std::vector<Group>& red, std::size_t count, i64 base, F&& f) {
  if (count == 0) {
    f(base);
    return;
  }
  i64 idx[kMaxRank] = {};
  i64 off = base;
  for (;;) {
    f(off);
    std::size_t d = count;
    while (d > 0) {
      --d;
      off += red[d].stride;
      if (++idx[d] < red[d].size) goto next;
      off -= red[d].stride * red[d].size;
      idx[d] = 0;
    }
    return;
  next:;
  }
}

template <class T, int OP>
void reduce_typed(const T* x, int rank, const i64* shape, const bool* reduced, T* out) {
  using A = typename Acc<T>::type;
  // Build groups (size-1 dims dropped, adjacent same-kind dims merged).
  std::vector<Group> groups;
  i64 stride = 1;
  i64 total = 1, out_size = 1;
  for (int d = rank - 1; d >= 0; --d) {
    total *= shape[d];
    if (!reduced[d]) out_size *= shape[d];
  }
  for (int d = rank - 1; d >= 0; --d) {
    const i64 s = shape[d];
    if (s != 1) {
      if (!groups.empty() && groups.back().reduced == reduced[d]) {
        groups.back().size *= s;
      } else {
        groups.push_back({s, stride, reduced[d]});
      }
    }
    stride *= s;
  }
  std::reverse(groups.begin(), groups.end());
  const A init = identity<T>(OP);
  if (out_size == 0) return;
  if (total == 0) {
    for (i64 i = 0; i < out_size; ++i) out[i] = static_cast<T>(init);
    return;
  }
  std::vector<Group> kept, red;
  for (const Group& g : groups) (g.reduced ? red : kept).push_back(g);
  const bool inner_reduced = !groups.empty() && groups.back().reduced;
  const i64 work = total;

  // Input offset of output element `o` (kept groups, row-major).
  auto kept_offset = [&](i64 o, std::size_t ngroups) {
    i64 off = 0;
    for (std::size_t d = ngroups; d-- > 0;) {
      off += (o % kept[d].size) * kept[d].stride;
      o /= kept[d].size;
    }
    return off;
  };

  if (inner_reduced || kept.empty()) {
    // Each output folds contiguous runs of the innermost reduced group.
    const i64 run = red.empty() ? 1 : red.back().size;
    const std::size_t outer_red = red.empty() ? 0 : red.size() - 1;
    auto body = [&](i64 o0, i64 o1) {
      for (i64 o = o0; o < o1; ++o) {
        A acc = init;
        for_each_reduced(red, outer_red, kept_offset(o, kept.size()),
                         [&](i64 off) { acc = fold_run<T, OP>(acc, x + off, run); });
        out[o] = static_cast<T>(acc);
      }
    };
    if (work < kParallelElems || out_size == 1) {
      body(0, out_size);
    } else {
      parallel_for(out_size, std::max<i64>(1, kParallelElems / 2 / (work / out_size)), body);
    }
    return;
  }

  // The innermost group is kept: accumulate whole rows of it, split into column chunks.
  const i64 cols = kept.back().size;
  const i64 outer = out_size / cols;
  const i64 chunk = 512;
  const i64 col_chunks = (cols + chunk - 1) / chunk;
  auto body = [&](i64 t0, i64 t1) {
    std::vector<A> acc(static_cast<std::size_t>(std::min(chunk, cols)));
    for (i64 t = t0; t < t1; ++t) {
      const i64 o = t / col_chunks;
      const i64 c0 = (t % col_chunks) * chunk;
      const i64 c1 = std::min(cols, c0 + chunk);
      const i64 nc = c1 - c0;
      std::fill(acc.begin(), acc.begin() + nc, init);
      A* ap = acc.data();
      for_each_reduced(red, red.size(), kept_offset(o, kept.size() - 1) + c0, [&](i64 off) {
        const T* row = x + off;
        for (i64 j = 0; j < nc; ++j) ap[j] = combine<T, OP>(ap[j], row[j]);
      });
      T* dst = out + o * cols + c0;
      for (i64 j = 0; j < nc; ++j) dst[j] = static_cast<T>(ap[j]);
    }
  };
  const i64 tasks = outer * col_chunks;
  if (work < kParallelElems || tasks == 1) {
    body(0, tasks);
  } else {
    parallel_for(tasks, 1, body);
  }
}

template <class T>
void reduce_dispatch(int op, const T* x, int rank, const i64* shape, const bool* reduced, T* out) {
  switch (op) {
    case kSum: return reduce_typed<T, kSum>(x, rank, shape, reduced, out);
    case kProd: return reduce_typed<T, kProd>(x, rank, shape, reduced, out);
    case kMax: return reduce_typed<T, kMax>(x, rank, shape, reduced, out);
    default: return reduce_typed<T, kMin>(x, rank, shape, reduced, out);
  }
}

template <class T>
void arg_typed(bool is_max, const T* x, i64 outer, i64 len, i64 inner, i32* out) {
  auto body = [&](i64 b0, i64 b1) {
    std::vector<T> best(static_cast<std::size_t>(inner));
    for (i64 b = b0; b < b1; ++b) {
      const T* base = x + b * len * inner;
      i32* o = out + b * inner;
      for (i64 i = 0; i < inner; ++i) {
        best[i] = base[i];
        o[i] = 0;
      }
      for (i64 k = 1; k < len; ++k) {
        const T* row = base + k * inner;
        for (i64 i = 0; i < inner; ++i) {
          const T v = row[i];
          const T cur = best[i];
          // NaN counts as the extreme and the first NaN wins, as np.argmax.
          const bool wins = (is_max ? v > cur : v < cur) || (v != v && cur == cur);
          if (wins) {
            best[i] = v;
            o[i] = static_cast<i32>(k);
          }
        }
      }
    }
  };
  if (len == 0) {
    for (i64 i = 0; i < outer * inner; ++i) out[i] = 0;
    return;
  }
  if (outer * len * inner < kParallelElems || outer == 1) {
    body(0, outer);
  } else {
    parallel_for(outer, std::max<i64>(1, kParallelElems / 2 / (len * inner)), body);
  }
}

}  // namespace

void reduce(int op, int dtype, const void* x, int rank, const i64* shape, const bool* reduced, void* out) {
  if (dtype == kF32) {
    reduce_dispatch(op, static_cast<const float*>(x), rank, shape, reduced, static_cast<float*>(out));
  } else {
    reduce_dispatch(op, static_cast<const i32*>(x), rank, shape, reduced, static_cast<i32*>(out));
  }
}

void arg_reduce(bool is_max, int dtype, const void* x, i64 outer, i64 len, i64 inner, std::int32_t* out) {
  switch (dtype) {
    case kF32: return arg_typed(is_max, static_cast<const float*>(x), outer, len, inner, out);
    case kI32: return arg_typed(is_max, static_cast<const i32*>(x), outer, len, inner, out);
    default: return arg_typed(is_max, static_cast<const std::uint8_t*>(x), outer, len, inner, out);
  }
}

}  // namespace mge
