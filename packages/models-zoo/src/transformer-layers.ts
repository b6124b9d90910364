/**
 * Causal self-attention for the zoo's GPT: one qkv projection and one output projection
 * (state-dict names qkv/proj), the heads computed by core's selfAttention (one kernel each way
 * where the backend has it). @mge/module's MultiHeadAttention serves the general case
 * (separate key/value inputs, masks given by the caller).
 */
import { selfAttention, type Tensor } from '@mge/core';
import * as M from '@mge/module';

/** Multi-head self-attention where position t sees positions ≤ t. */
export class CausalSelfAttention extends M.Module {
  qkv: M.Linear;
  proj: M.Linear;
  constructor(
    readonly dim: number,
    readonly numHeads: number,
  ) {
    super();
    if (!Number.isInteger(numHeads) || numHeads < 1 || dim % numHeads !== 0)
      throw new TypeError(`CausalSelfAttention: 'numHeads' (${numHeads}) must be a positive divisor of 'dim' (${dim})`);
    this.qkv = new M.Linear(dim, 3 * dim);
    this.proj = new M.Linear(dim, dim);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 3 || x.shape[2] !== this.dim)
      throw new Error(`CausalSelfAttention: expected input (B, T, ${this.dim}), got shape (${x.shape.join(', ')})`);
    return this.proj(selfAttention(this.qkv(x), this.numHeads, { causal: true }));
  }
}
