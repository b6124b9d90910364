// Iteration over an N-d index space as rows: dimensions are merged where every
// operand is contiguous across them, the innermost becomes a row, and rows are
// walked with an odometer so each row costs a few additions.
#pragma once
#include "common.h"

namespace mge {

template <int NOPS>
struct RowPlan {
  int rank = 0;  // outer dims (excluding the row)
  i64 shape[kMaxRank];
  i64 stride[NOPS][kMaxRank];
  i64 row = 1;              // row length
  i64 row_stride[NOPS];     // each operand's stride along the row
  i64 rows = 1;             // number of rows
};

// strides[k][d] is operand k's element stride along dim d of `shape`.
template <int NOPS>
RowPlan<NOPS> plan_rows(int rank, const i64* shape, const i64 (*strides)[kMaxRank]) {
  i64 sh[kMaxRank];
  i64 st[NOPS][kMaxRank];
  int r = 0;
  for (int d = 0; d < rank; ++d) {
    if (shape[d] == 1) continue;  // size-1 dims never move any operand
    if (r > 0) {
      bool merge = true;
      for (int k = 0; k < NOPS; ++k)
        if (st[k][r - 1] != strides[k][d] * shape[d]) merge = false;
      if (merge) {
        sh[r - 1] *= shape[d];
        for (int k = 0; k < NOPS; ++k) st[k][r - 1] = strides[k][d];
        continue;
      }
    }
    sh[r] = shape[d];
    for (int k = 0; k < NOPS; ++k) st[k][r] = strides[k][d];
    ++r;
  }
  RowPlan<NOPS> p;
  if (r == 0) {
    p.row = 1;
    for (int k = 0; k < NOPS; ++k) p.row_stride[k] = 0;
    p.rows = 1;
    for (int d = 0; d < rank; ++d)
      if (shape[d] == 0) p.rows = 0;
    return p;
  }
  p.row = sh[r - 1];
  for (int k = 0; k < NOPS; ++k) p.row_stride[k] = st[k][r - 1];
  p.rank = r - 1;
  for (int d = 0; d < r - 1; ++d) {
    p.shape[d] = sh[d];
    p.rows *= sh[d];
    for (int k = 0; k < NOPS; ++k) p.stride[k][d] = st[k][d];
  }
  if (p.row == 0) p.rows = 0;
  return p;
}

// Calls f(offsets, row_length) for rows [r0, r1) with each operand's starting element offset.
template <int NOPS, class F>
void for_rows(const RowPlan<NOPS>& p, i64 r0, i64 r1, const i64* base, F&& f) {
  if (r0 >= r1) return;
  i64 idx[kMaxRank];
  i64 off[NOPS];
  for (int k = 0; k < NOPS; ++k) off[k] = base[k];
  i64 rem = r0;
  for (int d = p.rank - 1; d >= 0; --d) {
    idx[d] = rem % p.shape[d];
    rem /= p.shape[d];
    for (int k = 0; k < NOPS; ++k) off[k] += idx[d] * p.stride[k][d];
  }
  for (i64 r = r0; r < r1; ++r) {
    f(static_cast<const i64*>(off), p.row);
    for (int d = p.rank - 1; d >= 0; --d) {
      for (int k = 0; k < NOPS; ++k) off[k] += p.stride[k][d];
      if (++idx[d] < p.shape[d]) break;
      for (int k = 0; k < NOPS; ++k) off[k] -= p.stride[k][d] * p.shape[d];
      idx[d] = 0;
    }
  }
}

// Contiguous strides of `shape`, with 0 for size-1 dims (so they broadcast).
inline void broadcast_strides(int rank, const i64* shape, i64* out) {
  i64 s = 1;
  for (int d = rank - 1; d >= 0; --d) {
    out[d] = shape[d] == 1 ? 0 : s;
    s *= shape[d];
  }
}

}  // namespace mge
