#include "epilogue.h"

namespace mge {

namespace {

// The activations as the elementwise table computes them: relu is `v < 0 ? 0 : v` like the
// unary relu (a NaN stays NaN, as Math.max in the js reference); relu6 is minimum(maximum(v, 0), 6)
// and hardswish v · (relu6(v + 3) · 1/6) in functional's order, both NaN-propagating like the
// table's maximum/minimum.
template <Act A>
inline float activate(float v) {
  if constexpr (A == Act::kRelu) return v < 0.f ? 0.f : v;
  if constexpr (A == Act::kRelu6) return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
  if constexpr (A == Act::kHardswish) {
    const float t = v + 3.f;
    return v * ((t < 0.f ? 0.f : (t > 6.f ? 6.f : t)) * (1.f / 6.f));
  }
  return v;
}

// One row: v = row[j] + bias + residual[j], then the activation; the loop is branch-free so the
// compiler vectorises it (compiled with the baseline flags only, so every kernel library may call it).
template <Act A>
void finish_row(float* row, i64 cols, float b, const float* bvec, const float* res) {
  if (bvec && res) {
    for (i64 j = 0; j < cols; ++j) row[j] = activate<A>(row[j] + bvec[j] + res[j]);
  } else if (bvec) {
    for (i64 j = 0; j < cols; ++j) row[j] = activate<A>(row[j] + bvec[j]);
  } else if (res) {
    for (i64 j = 0; j < cols; ++j) row[j] = activate<A>(row[j] + b + res[j]);
  } else {
    for (i64 j = 0; j < cols; ++j) row[j] = activate<A>(row[j] + b);
  }
}

template <Act A>
void apply(const Epilogue& e, float* c, i64 ldc, i64 i0, i64 j0, i64 rows, i64 cols) {
  for (i64 i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    const float b = e.bias && e.per_row ? e.bias[i0 + i] : 0.f;
    const float* bvec = e.bias && !e.per_row ? e.bias + j0 : nullptr;
    const float* res = e.residual ? e.residual + (row - e.out) : nullptr;
    finish_row<A>(row, cols, b, bvec, res);
  }
}

}  // namespace

void apply_epilogue(const Epilogue& e, float* c, i64 ldc, i64 i0, i64 j0, i64 rows, i64 cols) {
  if (!e.any()) return;
  const Act a = e.act != Act::kNone ? e.act : (e.relu ? Act::kRelu : Act::kNone);
  switch (a) {
    case Act::kRelu: apply<Act::kRelu>(e, c, ldc, i0, j0, rows, cols); break;
    case Act::kRelu6: apply<Act::kRelu6>(e, c, ldc, i0, j0, rows, cols); break;
    case Act::kHardswish: apply<Act::kHardswish>(e, c, ldc, i0, j0, rows, cols); break;
    default: apply<Act::kNone>(e, c, ldc, i0, j0, rows, cols); break;
  }
}

}  // namespace mge
