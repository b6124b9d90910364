// The C ABI of the WebAssembly build: one export per Backend primitive over the kernels of
// @mge/kernels-cpu (its ops.h), the wasm counterpart of addon.cc. Pointers are offsets into
// the module's memory; integer parameters arrive as an int32 array in that memory, laid
// out as the cpu backend lays them out. src/wasm-backend.ts checks every buffer against its
// shape before calling, so these functions only unpack and compute.
#include <cstdint>
#include <cstdlib>

#include "gemm.h"
#include "ops.h"

using mge::i64;
using I32 = std::int32_t;

#define MGE_EXPORT extern "C" __attribute__((used, visibility("default")))

namespace {

struct Shapes {
  int rank;
  i64 dims[4][mge::kMaxRank];
};

// params = [rank, shape0…, shape1…, …] for `count` shapes of equal rank.
Shapes read_shapes(const I32* p, int count) {
  Shapes s;
  s.rank = p[0];
  for (int k = 0; k < count; ++k)
    for (int d = 0; d < s.rank; ++d) s.dims[k][d] = p[1 + k * s.rank + d];
  return s;
}

mge::ConvParams conv_params(const I32* v) {
  return mge::ConvParams{v[0], v[1], v[2],  v[3],  v[4],  v[5],  v[6],  v[7],
                         v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
}

mge::PoolParams pool_params(const I32* v) {
  return mge::PoolParams{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
}

mge::Epilogue epilogue(const float* bias, int relu) {
  mge::Epilogue ep;
  ep.bias = bias;
  ep.relu = relu != 0;
  return ep;
}

}  // namespace

// 16-byte aligned so v128 loads of a tensor's start are aligned.
MGE_EXPORT void* mge_alloc(I32 bytes) { return std::aligned_alloc(16, (static_cast<std::size_t>(bytes) + 15) / 16 * 16); }
MGE_EXPORT void mge_free(void* p) { std::free(p); }
MGE_EXPORT const char* mge_gemm_isa() { return mge::gemm_isa(); }

MGE_EXPORT void mge_unary(I32 op, I32 dtype, const void* x, void* out, I32 out_dtype, I32 n) {
  mge::unary(op, dtype, x, out, out_dtype, n);
}

MGE_EXPORT void mge_binary(I32 op, I32 dtype, const void* a, const void* b, void* out, const I32* params) {
  const Shapes s = read_shapes(params, 3);
  mge::binary(op, dtype, mge::Operand{a, dtype, s.dims[0]}, mge::Operand{b, dtype, s.dims[1]}, out, s.rank,
              s.dims[2]);
}

MGE_EXPORT void mge_where(I32 dtype, const void* cond, const void* a, const void* b, void* out, const I32* params) {
  const Shapes s = read_shapes(params, 4);
  mge::where(mge::Operand{cond, mge::kBool, s.dims[0]}, mge::Operand{a, dtype, s.dims[1]},
             mge::Operand{b, dtype, s.dims[2]}, dtype, out, s.rank, s.dims[3]);
}

MGE_EXPORT void mge_cast(I32 from, const void* x, I32 to, void* out, I32 n) { mge::cast(from, x, to, out, n); }

// params = [rank, shape…, reduced flags…]
MGE_EXPORT void mge_reduce(I32 op, I32 dtype, const void* x, void* out, const I32* params) {
  const int rank = params[0];
  i64 shape[mge::kMaxRank];
  bool reduced[mge::kMaxRank];
  for (int d = 0; d < rank; ++d) {
    shape[d] = params[1 + d];
    reduced[d] = params[1 + rank + d] != 0;
  }
  mge::reduce(op, dtype, x, rank, shape, reduced, out);
}

MGE_EXPORT void mge_arg_reduce(I32 is_max, I32 dtype, const void* x, I32 outer, I32 len, I32 inner, I32* out) {
  mge::arg_reduce(is_max != 0, dtype, x, outer, len, inner, out);
}

// params = [rank, outShape…, strides…]
MGE_EXPORT void mge_strided(I32 elem, const void* x, void* out, I32 offset, const I32* params) {
  const int rank = params[0];
  i64 shape[mge::kMaxRank], strides[mge::kMaxRank];
  for (int d = 0; d < rank; ++d) {
    shape[d] = params[1 + d];
    strides[d] = params[1 + rank + d];
  }
  mge::strided(elem, x, rank, shape, strides, offset, out);
}

// params = [outer, chunk of each input…]; xs = `count` pointers.
MGE_EXPORT void mge_concat(I32 elem, I32 count, const void* const* xs, void* out, const I32* params) {
  i64 chunks[256];
  for (int i = 0; i < count; ++i) chunks[i] = params[1 + i];
  mge::concat(elem, count, xs, chunks, params[0], out);
}

// params = [rank, shape…, before…, after…]
MGE_EXPORT void mge_pad(I32 dtype, const void* x, void* out, double value, const I32* params) {
  const int rank = params[0];
  i64 shape[mge::kMaxRank], before[mge::kMaxRank], after[mge::kMaxRank];
  for (int d = 0; d < rank; ++d) {
    shape[d] = params[1 + d];
    before[d] = params[1 + rank + d];
    after[d] = params[1 + 2 * rank + d];
  }
  mge::pad(dtype, x, rank, shape, before, after, value, out);
}

// params = [batch, m, n, k, transA, transB, batchA, batchB]
MGE_EXPORT void mge_matmul(const float* a, const float* b, float* out, const I32* v, const float* bias, I32 relu) {
  const mge::MatmulParams p{v[0], v[1], v[2], v[3], v[4] != 0, v[5] != 0, v[6], v[7]};
  mge::matmul(a, b, out, p, epilogue(bias, relu));
}

// params = [n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups]
MGE_EXPORT void mge_conv2d(const float* x, const float* w, float* y, const I32* params, const float* bias, I32 relu) {
  mge::conv2d(x, w, y, conv_params(params), epilogue(bias, relu));
}

MGE_EXPORT void mge_conv2d_backward_input(const float* dy, const float* w, float* dx, const I32* params) {
  mge::conv2d_backward_input(dy, w, dx, conv_params(params));
}

MGE_EXPORT void mge_conv2d_backward_filter(const float* x, const float* dy, float* dw, const I32* params) {
  mge::conv2d_backward_filter(x, dy, dw, conv_params(params));
}

// params = [n, c, h, w, kh, kw, oh, ow, sh, sw, ph, pw]
MGE_EXPORT void mge_pool2d(I32 is_max, const float* x, float* y, const I32* params) {
  mge::pool2d(is_max != 0, x, y, pool_params(params));
}

MGE_EXPORT void mge_pool2d_backward(I32 is_max, const float* x, const float* dy, float* dx, const I32* params) {
  mge::pool2d_backward(is_max != 0, x, dy, dx, pool_params(params));
}
