#include "epilogue.h"

namespace mge {

// Compiled with the baseline flags only (no -mavx512f), so every kernel library may call it;
// the inner loops are branch-free so the compiler vectorises them. relu is `v < 0 ? 0 : v`
// like the unary relu, so a NaN stays NaN (as Math.max in the js reference).
void apply_epilogue(const Epilogue& e, float* c, i64 ldc, i64 i0, i64 j0, i64 rows, i64 cols) {
  if (!e.any()) return;
  for (i64 i = 0; i < rows; ++i) {
    float* row = c + i * ldc;
    if (e.bias && e.per_row) {
      const float b = e.bias[i0 + i];
      if (e.relu) {
        for (i64 j = 0; j < cols; ++j) {
          const float v = row[j] + b;
          row[j] = v < 0.f ? 0.f : v;
        }
      } else {
        for (i64 j = 0; j < cols; ++j) row[j] += b;
      }
    } else if (e.bias) {
      const float* b = e.bias + j0;
      if (e.relu) {
        for (i64 j = 0; j < cols; ++j) {
          const float v = row[j] + b[j];
          row[j] = v < 0.f ? 0.f : v;
        }
      } else {
        for (i64 j = 0; j < cols; ++j) row[j] += b[j];
      }
    } else {
      for (i64 j = 0; j < cols; ++j) row[j] = row[j] < 0.f ? 0.f : row[j];
    }
  }
}

}  // namespace mge
