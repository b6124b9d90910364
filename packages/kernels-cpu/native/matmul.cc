// Batched matmul on top of sgemm. Small matrices in a large batch are spread
// over threads one matrix at a time; otherwise each product uses the threaded GEMM.
#include "gemm.h"
#include "ops.h"
#include "thread_pool.h"

namespace mge {

void matmul(const float* a, const float* b, float* out, const MatmulParams& p, const Epilogue& ep) {
  auto one = [&](i64 i) {
    Gemm g;
    g.trans_a = p.trans_a;
    g.trans_b = p.trans_b;
    g.m = p.m;
    g.n = p.n;
    g.k = p.k;
    g.a = a + (p.batch_a == 1 ? 0 : i * p.m * p.k);
    g.lda = p.trans_a ? p.m : p.k;
    g.b = b + (p.batch_b == 1 ? 0 : i * p.k * p.n);
    g.ldb = p.trans_b ? p.k : p.n;
    g.c = out + i * p.m * p.n;
    g.ldc = p.n;
    g.ep = ep;
    g.ep.per_row = false;
    sgemm(g);
  };
  const i64 per = p.m * p.n * p.k;
  if (p.batch >= num_threads() && p.batch > 1 && per < (1 << 22) && per * p.batch >= (1 << 17)) {
    parallel_for(p.batch, 1, [&](i64 b0, i64 b1) {
      for (i64 i = b0; i < b1; ++i) one(i);
    });
  } else {
    for (i64 i = 0; i < p.batch; ++i) one(i);
  }
}

}  // namespace mge
