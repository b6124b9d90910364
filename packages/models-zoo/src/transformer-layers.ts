/**
 * Causal self-attention for the zoo's GPT: one qkv projection and one output projection
 * (state-dict names qkv/proj), the mask built in. @mge/module's MultiHeadAttention serves
 * the general case (separate key/value inputs, masks given by the caller).
 */
import { matmul, mul, reshape, split, type Tensor, tensor, transpose } from '@mge/core';
import * as F from '@mge/functional';
import * as M from '@mge/module';

/** Multi-head self-attention where position t sees positions ≤ t. */
export class CausalSelfAttention extends M.Module {
  qkv: M.Linear;
  proj: M.Linear;
  private masks = new Map<string, Tensor>();
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

  /** 0 on and below the diagonal, −1e9 above: added to the scores before softmax. */
  private mask(t: number, device: string): Tensor {
    const key = `${t}@${device}`;
    let m = this.masks.get(key);
    if (!m) {
      const v = new Float32Array(t * t);
      for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) v[i * t + j] = -1e9;
      m = tensor(v, { shape: [t, t], device });
      this.masks.set(key, m);
    }
    return m;
  }

  forward(x: Tensor): Tensor {
    const [b, t, d] = x.shape;
    const h = this.numHeads;
    const hd = d / h;
    const qkv = transpose(reshape(this.qkv(x), [b, t, 3, h, hd]), [2, 0, 3, 1, 4]);
    const [q, k, v] = split(qkv, 3, 0).map((z) => reshape(z, [b, h, t, hd]));
    const scores = F.add(mul(matmul(q, k, false, true), 1 / Math.sqrt(hd)), this.mask(t, x.device));
    const y = matmul(F.softmax(scores, -1), v);
    return this.proj(reshape(transpose(y, [0, 2, 1, 3]), [b, t, d]));
  }
}
