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

namespace mge {
namespace {

// Scratch of the calling thread, grown on demand (tasks run on the pool's threads).
float* scratch(int which, std::size_t n) {
  thread_local std::vector<float> bufs[2];
  if (bufs[which].size() < n) bufs[which].resize(n);
  return bufs[which].data();
}

#define MGE_ATTN_CLONES
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#undef MGE_ATTN_CLONES
#define MGE_ATTN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

// always_inline: each ISA clone gets its own vectorised copy of the helpers
#define MGE_INLINE __attribute__((always_inline)) inline

typedef float V16 __attribute__((vector_size(64)));
constexpr i64 kBlock = 16;

MGE_INLINE V16 load16(const float* p) {
  V16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
MGE_INLINE void store16(float* p, V16 v) { std::memcpy(p, &v, sizeof v); }
MGE_INLINE V16 splat(float a) { return V16{} + a; }
typedef std::int32_t V16i __attribute__((vector_size(64)));

// exp_f32 (vec_math.h) on 16 lanes at once, the same steps written on the vector type.
MGE_INLINE V16 exp16(V16 x) {
  const float lo = -87.3365447505531f;
  V16 xc = x > 88.0f ? splat(88.0f) : x;
  xc = xc < lo ? splat(lo) : xc;
  const V16 shifted = xc * 1.44269504088896341f + 12582912.0f;
  const V16 n = shifted - 12582912.0f;
  V16 r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  V16 q = splat(1.9875691500e-4f);
  q = q * r + 1.3981999507e-3f;
  q = q * r + 8.3334519073e-3f;
  q = q * r + 4.1665795894e-2f;
  q = q * r + 1.6666665459e-1f;
  q = q * r + 5.0000001201e-1f;
  const V16 y = q * r * r + r + 1.0f;
  const V16i bits = ((V16i)shifted - 0x4B400000 + 127) << 23;  // vector casts move bits
  const V16 pow2 = (V16)bits;
  return x < lo ? V16{} : y * pow2;
}

MGE_INLINE float hsum(V16 v) {
  float s = 0;
  for (int l = 0; l < 16; ++l) s += v[l];
  return s;
}
MGE_INLINE float hmax(V16 v) {
  float m = v[0];
  for (int l = 1; l < 16; ++l) m = v[l] > m ? v[l] : m;
  return m;
}

// p[0..nb) = softmax(s·scale) over the first n entries of a row, 0 for the rest up to nb.
MGE_INLINE void softmax_row(float* p, i64 n, i64 nb, float scale) {
  const float ninf = -std::numeric_limits<float>::infinity();
  for (i64 j = n; j < nb; ++j) p[j] = ninf;
  V16 mx = splat(ninf);
  for (i64 j = 0; j < nb; j += kBlock) {
    const V16 v = load16(p + j) * scale;
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
    for (i64 j = nb; j < t; ++j) p[i * tp + j] = 0;
  }
}

MGE_ATTN_CLONES
void softmax_grad_rows(const float* p, float* dp, i64 i0, i64 i1, i64 t, i64 tp, bool causal, float scale) {
  for (i64 i = i0; i < i1; ++i) {
    const i64 nb = round_up(causal ? i + 1 : t);
    for (i64 j = t; j < nb; ++j) dp[i * tp + j] = 0;  // past the GEMM's columns (p is 0 there)
    softmax_grad_row(p + i * tp, dp + i * tp, nb, scale);
    for (i64 j = nb; j < t; ++j) dp[i * tp + j] = 0;
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

}  // namespace

void self_attention(const float* qkv, float* out, const AttentionShape& s) {
  const i64 t = s.seq, hd = s.heads * s.dim, tp = round_up(t);
  if (s.batch == 0 || t == 0 || s.dim == 0) return;
  parallel_tasks(static_cast<int>(s.batch * s.heads), [&](int task) {
    const Head h = head_of(qkv, s, task);
    float* p = scratch(0, static_cast<std::size_t>(t * tp));
    float* o = out + (task / s.heads) * t * hd + (task % s.heads) * s.dim;
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
