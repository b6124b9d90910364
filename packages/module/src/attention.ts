import { noGrad, Parameter, random, type Tensor, transpose, zeros } from '@mge/core';
import * as F from '@mge/functional';
import { positiveInt } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface MultiHeadAttentionOptions {
  /** Dropout on the attention weights in training mode. */
  dropout?: number;
  bias?: boolean;
  /** Inputs and output are (batch, seq, embedDim) instead of (seq, batch, embedDim). */
  batchFirst?: boolean;
}

export interface MultiHeadAttentionCall {
  keyPaddingMask?: Tensor | null;
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
}

/**
 * MegEngine's M.MultiHeadAttention (PyTorch's parameter layout): inProjWeight (3E, E) Xavier-
 * uniform, inProjBias (3E) zeros, outProj a Linear(E, E) with zero bias.
 * `mha(q, k, v, options?)` → [output, attention weights averaged over heads].
 */
export class MultiHeadAttention extends Module<[Tensor, Tensor]> {
  inProjWeight: Parameter;
  inProjBias: Parameter | null;
  outProj: Linear;
  readonly embedDim: number;
  readonly numHeads: number;
  readonly dropout: number;
  readonly batchFirst: boolean;

  constructor(embedDim: number, numHeads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    this.embedDim = positiveInt('MultiHeadAttention', 'embedDim', embedDim);
    this.numHeads = positiveInt('MultiHeadAttention', 'numHeads', numHeads);
    if (embedDim % numHeads !== 0)
      throw new Error(`MultiHeadAttention: argument 'numHeads' (${numHeads}) must divide 'embedDim' (${embedDim})`);
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1))
      throw new RangeError(`MultiHeadAttention: argument 'dropout' must be in [0, 1), got ${this.dropout}`);
    this.batchFirst = options.batchFirst ?? false;
    const bias = options.bias ?? true;
    const bound = Math.sqrt(6 / (embedDim + 3 * embedDim));
    this.inProjWeight = new Parameter(noGrad(() => random.uniform(-bound, bound, [3 * embedDim, embedDim])));
    this.inProjBias = bias ? new Parameter(zeros([3 * embedDim])) : null;
    this.outProj = new Linear(embedDim, embedDim, { bias });
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiHeadAttentionCall = {}): [Tensor, Tensor] {
    const seqFirst = (t: Tensor) => (this.batchFirst && t.ndim === 3 ? transpose(t, [1, 0, 2]) : t);
    const [out, weights] = F.multiHeadAttention(
      seqFirst(query),
      seqFirst(key),
      seqFirst(value),
      this.numHeads,
      { inProjWeight: this.inProjWeight, inProjBias: this.inProjBias, outProjWeight: this.outProj.weight, outProjBias: this.outProj.bias },
      { ...options, dropout: this.dropout, training: this.training },
    );
    return [seqFirst(out), weights];
  }

  protected override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}${this.dropout ? `, dropout=${this.dropout}` : ''}`;
  }
}
