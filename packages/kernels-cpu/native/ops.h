// Kernels of the cpu backend, one per Backend primitive. Every pointer has been
// checked against its shape by addon.cc; kernels only compute.
#pragma once
#include "common.h"
#include "epilogue.h"
#include "ops_generated.h"

namespace mge {

// UnaryOp / BinaryOp codes, in the order of @mge/core's elementwise table (generated).
enum ReduceOp : int { kSum, kProd, kMax, kMin, kReduceCount };

// A tensor argument: data, dtype and (for broadcasting ops) shape of rank `rank`.
struct Operand {
  const void* data;
  int dtype;
  const i64* shape;
};

void unary(int op, int dtype, const void* x, void* out, int out_dtype, i64 n);
// Shapes have rank `rank`; each dim equals out_shape's or is 1.
void binary(int op, int dtype, const Operand& a, const Operand& b, void* out, int rank, const i64* out_shape);
void where(const Operand& cond, const Operand& a, const Operand& b, int dtype, void* out, int rank,
           const i64* out_shape);
void cast(int from, const void* x, int to, void* out, i64 n);

// reduced[i] != 0 for every reduced axis.
void reduce(int op, int dtype, const void* x, int rank, const i64* shape, const bool* reduced, void* out);
void arg_reduce(bool is_max, int dtype, const void* x, i64 outer, i64 len, i64 inner, std::int32_t* out);

void strided(std::size_t elem, const void* x, int rank, const i64* out_shape, const i64* strides, i64 offset,
             void* out);
// Each input i is [outer, chunk[i]] when viewed around the concat axis.
void concat(std::size_t elem, int count, const void* const* xs, const i64* chunks, i64 outer, void* out);
void pad(int dtype, const void* x, int rank, const i64* shape, const i64* before, const i64* after, double value,
         void* out);

struct MatmulParams {
  i64 batch, m, n, k;
  bool trans_a, trans_b;
  i64 batch_a, batch_b;
};
// ep.bias (if any) has n values, one per column of every product.
void matmul(const float* a, const float* b, float* out, const MatmulParams& p, const Epilogue& ep = {});

struct ConvParams {
  i64 n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups;
};
// ep.bias (if any) has o values, one per output channel.
void conv2d(const float* x, const float* w, float* y, const ConvParams& p, const Epilogue& ep = {});
void conv2d_backward_input(const float* dy, const float* w, float* dx, const ConvParams& p);
void conv2d_backward_filter(const float* x, const float* dy, float* dw, const ConvParams& p);

struct PoolParams {
  i64 n, c, h, w, kh, kw, oh, ow, sh, sw, ph, pw;
};
void pool2d(bool is_max, const float* x, float* y, const PoolParams& p);
void pool2d_backward(bool is_max, const float* x, const float* dy, float* dx, const PoolParams& p);
// The max pool's gradient times sign(x) (a max pool over a relu output: relu's gradient folded in).
void max_pool2d_sign_backward(const float* x, const float* dy, float* dx, const PoolParams& p);

}  // namespace mge
