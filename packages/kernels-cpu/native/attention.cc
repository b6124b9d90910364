// Self-attention per (batch, head) task: the products run through the GEMM with the packed
// layout's strides (no transposes copied), the scores of one head live in a T×T scratch of the
// thread and never reach memory the caller sees.
// exp_f32's selects vectorise only when the compiler may evaluate both sides (no FP traps
// are observed anywhere in the addon).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "attention.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gemm.h"
#include "thread_pool.h"
#include "vec_math.h"

namespace mge {
namespace {

// Scratch of the calling thread, grown on demand (tasks run on the pool's threads).
float* scratch(int which, std::size_t n) {
  thread_local std::vector<float> bufs[2];
  if (bufs[which].size() < n) bufs[which].resize(n);
  return bufs[which].data();
}

// Row softmax of s (n = seq columns; the first `valid` of them count, the rest become 0),
// scores taken as s·scale.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void softmax_row(float* s, i64 valid, i64 n, float scale) {
  // 16 running maxima and sums (the loops vectorise; one scalar chain would not reassociate)
  constexpr int L = 16;
  float mx[L], acc[L];
  for (int l = 0; l < L; ++l) mx[l] = -std::numeric_limits<float>::infinity();
  i64 j = 0;
  for (; j + L <= valid; j += L)
    for (int l = 0; l < L; ++l) {
      const float v = s[j + l] * scale;
      mx[l] = v > mx[l] ? v : mx[l];
    }
  float m = -std::numeric_limits<float>::infinity();
  for (; j < valid; ++j) m = std::fmax(m, s[j] * scale);
  for (int l = 0; l < L; ++l) m = std::fmax(m, mx[l]);
  for (j = 0; j < valid; ++j) s[j] = exp_f32(s[j] * scale - m);
  for (int l = 0; l < L; ++l) acc[l] = 0;
  for (j = 0; j + L <= valid; j += L)
    for (int l = 0; l < L; ++l) acc[l] += s[j + l];
  float z = 0;
  for (; j < valid; ++j) z += s[j];
  for (int l = 0; l < L; ++l) z += acc[l];
  const float inv = 1.0f / z;
  for (j = 0; j < valid; ++j) s[j] *= inv;
  for (j = valid; j < n; ++j) s[j] = 0;
}

// ds = p·(dp − Σ p·dp)·scale over one row (p is 0 past the valid columns, so ds is too).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void softmax_grad_row(const float* p, float* dp, i64 n, float scale) {
  constexpr int L = 16;
  float acc[L] = {};
  i64 j = 0;
  for (; j + L <= n; j += L)
    for (int l = 0; l < L; ++l) acc[l] += p[j + l] * dp[j + l];
  float dot = 0;
  for (; j < n; ++j) dot += p[j] * dp[j];
  for (int l = 0; l < L; ++l) dot += acc[l];
  for (j = 0; j < n; ++j) dp[j] = p[j] * (dp[j] - dot) * scale;
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

// p (T×T) = softmax(q·kᵀ·scale) of one head.
void probabilities(const Head& hd, const AttentionShape& s, float* p) {
  const i64 t = s.seq;
  sgemm(product(false, true, t, t, s.dim, hd.q, hd.ld, hd.k, hd.ld, p, t));
  for (i64 i = 0; i < t; ++i) softmax_row(p + i * t, s.causal ? i + 1 : t, t, s.scale);
}

}  // namespace

void self_attention(const float* qkv, float* out, const AttentionShape& s) {
  const i64 t = s.seq, hd = s.heads * s.dim;
  if (s.batch == 0 || t == 0 || s.dim == 0) return;
  parallel_tasks(static_cast<int>(s.batch * s.heads), [&](int task) {
    const Head h = head_of(qkv, s, task);
    float* p = scratch(0, static_cast<std::size_t>(t * t));
    probabilities(h, s, p);
    float* o = out + (task / s.heads) * t * hd + (task % s.heads) * s.dim;
    sgemm(product(false, false, t, s.dim, t, p, t, h.v, h.ld, o, hd));
  });
}

void self_attention_backward(const float* qkv, const float* dy, float* dqkv, const AttentionShape& s) {
  const i64 t = s.seq, hd = s.heads * s.dim;
  if (s.batch == 0 || t == 0 || s.dim == 0) return;
  parallel_tasks(static_cast<int>(s.batch * s.heads), [&](int task) {
    const Head h = head_of(qkv, s, task);
    const i64 off_y = (task / s.heads) * t * hd + (task % s.heads) * s.dim;
    const float* g = dy + off_y;
    float* dq = dqkv + (h.q - qkv);
    float* dk = dq + hd;
    float* dv = dq + 2 * hd;
    float* p = scratch(0, static_cast<std::size_t>(t * t));
    float* dp = scratch(1, static_cast<std::size_t>(t * t));
    probabilities(h, s, p);
    sgemm(product(true, false, t, s.dim, t, p, t, g, hd, dv, h.ld));          // dv = pᵀ·dy
    sgemm(product(false, true, t, t, s.dim, g, hd, h.v, h.ld, dp, t));        // dp = dy·vᵀ
    for (i64 i = 0; i < t; ++i) softmax_grad_row(p + i * t, dp + i * t, t, s.scale);
    sgemm(product(false, false, t, s.dim, t, dp, t, h.k, h.ld, dq, h.ld));    // dq = ds·k
    sgemm(product(true, false, t, s.dim, t, dp, t, h.q, h.ld, dk, h.ld));     // dk = dsᵀ·q
  });
}

}  // namespace mge
