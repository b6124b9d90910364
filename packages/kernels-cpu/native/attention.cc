// Self-attention per (batch, head) task: the products run through the GEMM with the packed
// layout's strides (no transposes copied), the scores of one head live in a T×T scratch of the
// thread and never reach memory the caller sees.
// exp16's selects vectorise only when the compiler may evaluate both sides (no FP traps are
// observed anywhere in the addon).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "attention.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "gemm.h"
#include "thread_pool.h"
#include "vec16.h"

namespace mge {
namespace {

// Scratch of the calling thread, grown on demand (tasks run on the pool's threads).
float* scratch(int which, std::size_t n) {
  thread_local std::vector<float> bufs[4];
  if (bufs[which].size() < n) bufs[which].resize(n);
  return bufs[which].data();
}

#define MGE_ATTN_CLONES
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#undef MGE_ATTN_CLONES
#define MGE_ATTN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

constexpr i64 kBlock = 16;

// p[0..nb) = softmax(s·scale) over the first n entries of a row, 0 for the rest up to nb. The
// masked lanes are set in registers: scalar stores under the vector loads would stall them.
MGE_INLINE void softmax_row(float* p, i64 n, i64 nb, float scale) {
  const float ninf = -std::numeric_limits<float>::infinity();
  const V16i lane{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  V16 mx = splat(ninf);
  for (i64 j = 0; j < nb; j += kBlock) {
    V16 v = load16(p + j) * scale;
    if (j + kBlock > n) v = lane + static_cast<std::int32_t>(j) < static_cast<std::int32_t>(n) ? v : splat(ninf);
    store16(p + j, v);
    mx = v > mx ? v : mx;
  }
  const float m = hmax(mx);
  V16 z{};
  for (i64 j = 0; j < nb; j += kBlock) {
    const V16 v = exp16(load16(p + j) - m);
    store16(p + j, v);
    z += v;
  }
  const float inv = 1.0f / hsum(z);
  for (i64 j = 0; j < nb; j += kBlock) store16(p + j, load16(p + j) * inv);
}

MGE_INLINE i64 round_up(i64 n) { return (n + kBlock - 1) / kBlock * kBlock; }

// ds = p·(dp − Σ p·dp)·scale over one row of nb entries (p is 0 past the valid ones, so ds is too).
MGE_INLINE void softmax_grad_row(const float* p, float* dp, i64 nb, float scale) {
  V16 dot{};
  for (i64 j = 0; j < nb; j += kBlock) dot += load16(p + j) * load16(dp + j);
  const float s = hsum(dot);
  for (i64 j = 0; j < nb; j += kBlock) store16(dp + j, load16(p + j) * (load16(dp + j) - s) * scale);
}

// Rows i0..i1 of one head's probabilities: softmax of the q·k products (row stride tp, a multiple
// of 16 ≥ t), masked and zero past the valid keys of each row, up to t.
MGE_ATTN_CLONES
void softmax_rows(float* p, i64 i0, i64 i1, i64 t, i64 tp, bool causal, float scale) {
  for (i64 i = i0; i < i1; ++i) {
    const i64 n = causal ? i + 1 : t;
    const i64 nb = round_up(n);
    softmax_row(p + i * tp, n, nb, scale);
    for (i64 j = nb; j < t; j += kBlock) store16(p + i * tp + j, V16{});  // up to tp at most
  }
}

MGE_ATTN_CLONES
void softmax_grad_rows(const float* p, float* dp, i64 i0, i64 i1, i64 t, i64 tp, bool causal, float scale) {
  for (i64 i = i0; i < i1; ++i) {
    const i64 nb = round_up(causal ? i + 1 : t);
    for (i64 j = t; j < nb; ++j) dp[i * tp + j] = 0;  // past the GEMM's columns (p is 0 there)
    softmax_grad_row(p + i * tp, dp + i * tp, nb, scale);
    for (i64 j = nb; j < t; j += kBlock) store16(dp + i * tp + j, V16{});
  }
}

struct Head {
  const float* q;
  const float* k;
  const float* v;
  i64 ld;  // row stride of q, k, v in qkv: 3·heads·dim
};

Head head_of(const float* qkv, const AttentionShape& s, i64 task) {
  const i64 b = task / s.heads, h = task % s.heads;
  const i64 hd = s.heads * s.dim;
  const float* base = qkv + b * s.seq * 3 * hd + h * s.dim;
  return {base, base + hd, base + 2 * hd, 3 * hd};
}

Gemm product(bool ta, bool tb, i64 m, i64 n, i64 k, const float* a, i64 lda, const float* b, i64 ldb, float* c, i64 ldc) {
  Gemm g;
  g.trans_a = ta;
  g.trans_b = tb;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a;
  g.lda = lda;
  g.b = b;
  g.ldb = ldb;
  g.c = c;
  g.ldc = ldc;
  return g;
}

// Causal heads run in blocks of query rows: the rows of a block see only the keys up to its last
// row, so the products skip the masked corner (a quarter of the work at two blocks).
constexpr i64 kCausalRows = 32;

struct RowBlock {
  i64 r0, r1, keys;
};

template <class F>
void for_row_blocks(const AttentionShape& s, F&& body) {
  const i64 t = s.seq;
  const i64 rows = s.causal && t > kCausalRows ? kCausalRows : t;
  for (i64 r0 = 0; r0 < t; r0 += rows) {
    const i64 r1 = r0 + rows < t ? r0 + rows : t;
    body(RowBlock{r0, r1, s.causal ? r1 : t});
  }
}

// Rows b.r0..b.r1 of p (row stride tp) = softmax(q·kᵀ·scale) of one head, over keys < b.keys.
void probabilities(const Head& hd, const AttentionShape& s, const RowBlock& b, float* p) {
  const i64 t = s.seq, tp = round_up(t);
  sgemm(product(false, true, b.r1 - b.r0, b.keys, s.dim, hd.q + b.r0 * hd.ld, hd.ld, hd.k, hd.ld, p + b.r0 * tp, tp));
  softmax_rows(p, b.r0, b.r1, t, tp, s.causal, s.scale);
}

// Heads of 16 or 32 lanes run without the GEMM: at that width packing the operands costs as
// much as the products, so every product below keeps a 16-lane block of a row in registers and
// reads its other operand straight from qkv (or a transposed copy of k / v per head).
constexpr i64 kGroup = 4;  // rows (or keys) that share each loaded vector

bool direct_head(const AttentionShape& s) { return s.dim == 16 || s.dim == 32; }

// dst[d·tp + j] = src[j·ld + d] for j < t, 0 for t ≤ j < tp.
MGE_INLINE void transpose_head(const float* src, i64 ld, i64 t, i64 tp, i64 dim, float* dst) {
  for (i64 d = 0; d < dim; ++d) {
    float* row = dst + d * tp;
    for (i64 j = 0; j < t; ++j) row[j] = src[j * ld + d];
    for (i64 j = t; j < tp; ++j) row[j] = 0;
  }
}

// out[r·tp + j] = a_r · bt[·, j] for the rows r < rows (a_r at a + r·lda, dim long) and the
// columns j < cols (a multiple of 16), bt holding the other operand transposed (row stride tp).
MGE_INLINE void rows_times_t(const float* a, i64 lda, i64 rows, const float* bt, i64 tp, i64 cols, i64 dim, float* out) {
  for (i64 j = 0; j < cols; j += kBlock) {
    V16 acc[kGroup] = {};
    for (i64 d = 0; d < dim; ++d) {
      const V16 kv = load16(bt + d * tp + j);
      for (i64 r = 0; r < kGroup; ++r)
        if (r < rows) acc[r] += a[r * lda + d] * kv;
    }
    for (i64 r = 0; r < rows; ++r) store16(out + r * tp + j, acc[r]);
  }
}

// out_r = Σ_{j < n} w[r·tp + j] · b_j for the rows r < rows (b_j at b + j·ldb, D·16 long).
template <int D>
MGE_INLINE void weights_times(const float* w, i64 tp, i64 rows, i64 n, const float* b, i64 ldb, float* out, i64 ldo) {
  V16 acc[kGroup][D] = {};
  for (i64 j = 0; j < n; ++j) {
    V16 bv[D];
    for (int e = 0; e < D; ++e) bv[e] = load16(b + j * ldb + e * kBlock);
    for (i64 r = 0; r < kGroup; ++r) {
      if (r >= rows) continue;
      const float x = w[r * tp + j];
      for (int e = 0; e < D; ++e) acc[r][e] += x * bv[e];
    }
  }
  for (i64 r = 0; r < rows; ++r)
    for (int e = 0; e < D; ++e) store16(out + r * ldo + e * kBlock, acc[r][e]);
}

// out_j = Σ_{i0(j) ≤ i < t} w[i·tp + j] · b_i for the keys j < keys (the transposed product; under a
// causal mask w is 0 above the diagonal, so rows before the key are skipped).
template <int D>
MGE_INLINE void weights_t_times(const float* w, i64 tp, i64 t, bool causal, const float* b, i64 ldb, float* out, i64 ldo) {
  for (i64 j0 = 0; j0 < t; j0 += kGroup) {
    const i64 cols = t - j0 < kGroup ? t - j0 : kGroup;
    V16 acc[kGroup][D] = {};
    for (i64 i = causal ? j0 : 0; i < t; ++i) {
      V16 bv[D];
      for (int e = 0; e < D; ++e) bv[e] = load16(b + i * ldb + e * kBlock);
      for (i64 c = 0; c < kGroup; ++c) {
        if (c >= cols) continue;
        const float x = w[i * tp + j0 + c];
        for (int e = 0; e < D; ++e) acc[c][e] += x * bv[e];
      }
    }
    for (i64 c = 0; c < cols; ++c)
      for (int e = 0; e < D; ++e) store16(out + (j0 + c) * ldo + e * kBlock, acc[c][e]);
  }
}

// Rows i0..i0+rows of the probabilities (row stride tp) from q and the transposed keys.
MGE_INLINE void direct_probabilities(const Head& h, const AttentionShape& s, const float* kt, i64 i0, i64 rows, float* p) {
  const i64 t = s.seq, tp = round_up(t);
  const i64 cols = s.causal ? round_up(i0 + rows) : tp;
  rows_times_t(h.q + i0 * h.ld, h.ld, rows, kt, tp, cols, s.dim, p + i0 * tp);
  softmax_rows(p, i0, i0 + rows, t, tp, s.causal, s.scale);
}

template <int D>
MGE_INLINE void direct_forward(const Head& h, const AttentionShape& s, float* o, i64 ldo) {
  const i64 t = s.seq, tp = round_up(t);
  float* kt = scratch(2, static_cast<std::size_t>(s.dim * tp));
  float* p = scratch(0, static_cast<std::size_t>(t * tp));
  transpose_head(h.k, h.ld, t, tp, s.dim, kt);
  for (i64 i0 = 0; i0 < t; i0 += kGroup) {
    const i64 rows = t - i0 < kGroup ? t - i0 : kGroup;
    direct_probabilities(h, s, kt, i0, rows, p);
    weights_times<D>(p + i0 * tp, tp, rows, s.causal ? i0 + rows : t, h.v, h.ld, o + i0 * ldo, ldo);
  }
}

template <int D>
MGE_INLINE void direct_backward(const Head& h, const AttentionShape& s, const float* g, i64 ldg, float* dq, float* dk, float* dv) {
  const i64 t = s.seq, tp = round_up(t);
  float* kt = scratch(2, static_cast<std::size_t>(s.dim * tp));
  float* vt = scratch(3, static_cast<std::size_t>(s.dim * tp));
  float* p = scratch(0, static_cast<std::size_t>(t * tp));
  float* ds = scratch(1, static_cast<std::size_t>(t * tp));
  transpose_head(h.k, h.ld, t, tp, s.dim, kt);
  transpose_head(h.v, h.ld, t, tp, s.dim, vt);
  for (i64 i0 = 0; i0 < t; i0 += kGroup) {
    const i64 rows = t - i0 < kGroup ? t - i0 : kGroup;
    direct_probabilities(h, s, kt, i0, rows, p);
    const i64 cols = s.causal ? round_up(i0 + rows) : tp;
    rows_times_t(g + i0 * ldg, ldg, rows, vt, tp, cols, s.dim, ds + i0 * tp);  // dp = dy·vᵀ
    softmax_grad_rows(p, ds, i0, i0 + rows, t, tp, s.causal, s.scale);
    weights_times<D>(ds + i0 * tp, tp, rows, s.causal ? i0 + rows : t, h.k, h.ld, dq + i0 * h.ld, h.ld);  // dq = ds·k
  }
  weights_t_times<D>(p, tp, t, s.causal, g, ldg, dv, h.ld);     // dv = pᵀ·dy
  weights_t_times<D>(ds, tp, t, s.causal, h.q, h.ld, dk, h.ld);  // dk = dsᵀ·q
}

MGE_ATTN_CLONES
void direct_forward_head(const Head& h, const AttentionShape& s, float* o, i64 ldo) {
  if (s.dim == 16) direct_forward<1>(h, s, o, ldo);
  else direct_forward<2>(h, s, o, ldo);
}

MGE_ATTN_CLONES
void direct_backward_head(const Head& h, const AttentionShape& s, const float* g, i64 ldg, float* dq, float* dk, float* dv) {
  if (s.dim == 16) direct_backward<1>(h, s, g, ldg, dq, dk, dv);
  else direct_backward<2>(h, s, g, ldg, dq, dk, dv);
}

}  // namespace

void self_attention(const float* qkv, float* out, const AttentionShape& s) {
  const i64 t = s.seq, hd = s.heads * s.dim, tp = round_up(t);
  if (s.batch == 0 || t == 0 || s.dim == 0) return;
  parallel_tasks(static_cast<int>(s.batch * s.heads), [&](int task) {
    const Head h = head_of(qkv, s, task);
    float* p = scratch(0, static_cast<std::size_t>(t * tp));
    float* o = out + (task / s.heads) * t * hd + (task % s.heads) * s.dim;
    if (direct_head(s)) return direct_forward_head(h, s, o, hd);
    for_row_blocks(s, [&](const RowBlock& b) {
      probabilities(h, s, b, p);
      sgemm(product(false, false, b.r1 - b.r0, s.dim, b.keys, p + b.r0 * tp, tp, h.v, h.ld, o + b.r0 * hd, hd));
    });
  });
}

void self_attention_backward(const float* qkv, const float* dy, float* dqkv, const AttentionShape& s) {
  const i64 t = s.seq, hd = s.heads * s.dim, tp = round_up(t);
  if (s.batch == 0 || t == 0 || s.dim == 0) return;
  parallel_tasks(static_cast<int>(s.batch * s.heads), [&](int task) {
    const Head h = head_of(qkv, s, task);
    const float* g = dy + (task / s.heads) * t * hd + (task % s.heads) * s.dim;
    float* dq = dqkv + (h.q - qkv);
    float* dk = dq + hd;
    float* dv = dq + 2 * hd;
    if (direct_head(s)) return direct_backward_head(h, s, g, hd, dq, dk, dv);
    // dk and dv gather over the row blocks
    for (i64 j = 0; j < t; ++j)
      for (i64 d = 0; d < s.dim; ++d) dk[j * h.ld + d] = dv[j * h.ld + d] = 0;
    float* p = scratch(0, static_cast<std::size_t>(t * tp));
    float* dp = scratch(1, static_cast<std::size_t>(t * tp));
    for_row_blocks(s, [&](const RowBlock& b) {
      const i64 m = b.r1 - b.r0, n = b.keys;
      float* pb = p + b.r0 * tp;
      float* dpb = dp + b.r0 * tp;
      const float* gb = g + b.r0 * hd;
      probabilities(h, s, b, p);
      Gemm dvg = product(true, false, n, s.dim, m, pb, tp, gb, hd, dv, h.ld);  // dv += pᵀ·dy
      dvg.accumulate = true;
      sgemm(dvg);
      sgemm(product(false, true, m, n, s.dim, gb, hd, h.v, h.ld, dpb, tp));  // dp = dy·vᵀ
      softmax_grad_rows(p, dp, b.r0, b.r1, t, tp, s.causal, s.scale);
      sgemm(product(false, false, m, s.dim, n, dpb, tp, h.k, h.ld, dq + b.r0 * h.ld, h.ld));  // dq = ds·k
      Gemm dkg = product(true, false, n, s.dim, m, dpb, tp, h.q + b.r0 * h.ld, h.ld, dk, h.ld);  // dk += dsᵀ·q
      dkg.accumulate = true;
      sgemm(dkg);
    });
  });
}

}  // namespace mge
