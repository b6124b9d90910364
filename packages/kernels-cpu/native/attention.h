// Multi-head self-attention over a packed projection (core's selfAttention): qkv is
// [batch, seq, 3, heads, dim] row-major, out / dy [batch, seq, heads, dim], dqkv like qkv.
#pragma once
#include "common.h"

namespace mge {

struct AttentionShape {
  i64 batch, seq, heads, dim;
  bool causal;
  float scale;
};

// out = softmax(q·kᵀ·scale, keys after the query masked when causal)·v, per batch and head.
void self_attention(const float* qkv, float* out, const AttentionShape& s);

// dqkv from qkv and dy; the probabilities are recomputed (nothing is kept from the forward).
void self_attention_backward(const float* qkv, const float* dy, float* dqkv, const AttentionShape& s);

}  // namespace mge
