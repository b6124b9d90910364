/**
 * LayerNorm, token embedding and causal self-attention composed from today's primitives,
 * for the zoo's transformer until @mge/module has its own versions. State-dict names
 * follow MegEngine's modules (weight/bias; qkv/proj).
 */
import { div, full, matmul, mean, mul, Parameter, random, reshape, split, sqrt, sub, type Tensor, tensor, transpose, zeros } from '@mge/core';
import * as F from '@mge/functional';
import * as M from '@mge/module';

export class LayerNorm extends M.Module {
  weight: Parameter;
  bias: Parameter;
  constructor(
    readonly normalizedShape: number,
    readonly eps = 1e-5,
  ) {
    super();
    if (!Number.isInteger(normalizedShape) || normalizedShape < 1) throw new TypeError(`LayerNorm: argument 'normalizedShape' must be a positive integer, got ${normalizedShape}`);
    this.weight = new Parameter(full([normalizedShape], 1));
    this.bias = new Parameter(zeros([normalizedShape]));
  }
  forward(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.normalizedShape) throw new Error(`LayerNorm: expected last axis ${this.normalizedShape}, got shape (${x.shape.join(', ')})`);
    const d = sub(x, mean(x, -1, true));
    const y = div(d, sqrt(F.add(mean(mul(d, d), -1, true), this.eps)));
    return F.add(mul(y, this.weight), this.bias);
  }
}

/** A lookup table (num, dim); rows are picked by a one-hot product so the gradient is a plain matmul. */
export class Embedding extends M.Module {
  weight: Parameter;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
  ) {
    super();
    for (const [k, v] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new TypeError(`Embedding: argument '${k}' must be a positive integer, got ${v}`);
    }
    this.weight = new Parameter(random.normal(0, 1, [numEmbeddings, embeddingDim]));
  }
  forward(ids: Tensor): Tensor {
    return matmul(F.oneHot(ids, this.numEmbeddings), this.weight);
  }
}

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
    if (!Number.isInteger(numHeads) || numHeads < 1 || dim % numHeads !== 0) throw new TypeError(`CausalSelfAttention: 'numHeads' (${numHeads}) must be a positive divisor of 'dim' (${dim})`);
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
