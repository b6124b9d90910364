import { concat, noGrad, Parameter, random, type Tensor, zeros } from '@mge/core';
import * as F from '@mge/functional';
import { positiveInt } from './init.js';
import { Module } from './module.js';

export interface MultiHeadAttentionOptions {
  /** Dropout on the attention weights in training mode. */
  attnDropout?: number;
  /** Dropout on the output in training mode. */
  outDropout?: number;
  /** Biases on the four projections (default true). */
  bias?: boolean;
  /** MegEngine accepts only false (its implementation does not support it). */
  addBiasKv?: boolean;
  /** MegEngine accepts only false (its implementation does not support it). */
  addZeroAttn?: boolean;
  /** Feature size of the keys (default embedDim). */
  kdim?: number | null;
  /** Feature size of the values (default embedDim). */
  vdim?: number | null;
}

export interface MultiHeadAttentionCall {
  keyPaddingMask?: Tensor | null;
  attnMask?: Tensor | null;
  /** Return the attention weights (default false: the second result is null). */
  needWeights?: boolean;
  averageAttnWeights?: boolean;
  isCausal?: boolean;
}

/**
 * MegEngine's M.MultiHeadAttention: batch-first query (N, L, embedDim), key (N, S, kdim), value
 * (N, S, vdim). One parameter `ioWeightBias` (1, (2·E + kdim + vdim)·E + 4·E if bias) packs the
 * projections Wq, Wk, Wv, Wo (each (in, out)) and then their biases; it is Xavier-uniform over
 * its (1, len) shape with the biases zeroed, as in MegEngine.
 * `mha(q, k, v, options?)` → [output, attention weights or null].
 */
export class MultiHeadAttention extends Module<[Tensor, Tensor | null]> {
  ioWeightBias: Parameter;
  readonly embedDim: number;
  readonly numHeads: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly attnDropout: number;
  readonly outDropout: number;
  readonly bias: boolean;

  constructor(embedDim: number, numHeads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    const name = 'MultiHeadAttention';
    this.embedDim = positiveInt(name, 'embedDim', embedDim);
    this.numHeads = positiveInt(name, 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) throw new Error(`${name}: argument 'numHeads' (${numHeads}) must divide 'embedDim' (${embedDim})`);
    this.kdim = options.kdim === undefined || options.kdim === null ? embedDim : positiveInt(name, 'kdim', options.kdim);
    this.vdim = options.vdim === undefined || options.vdim === null ? embedDim : positiveInt(name, 'vdim', options.vdim);
    this.attnDropout = options.attnDropout ?? 0;
    this.outDropout = options.outDropout ?? 0;
    for (const [arg, p] of [
      ['attnDropout', this.attnDropout],
      ['outDropout', this.outDropout],
    ] as const)
      if (!(p >= 0 && p < 1)) throw new RangeError(`${name}: argument '${arg}' must be in [0, 1), got ${p}`);
    for (const arg of ['addBiasKv', 'addZeroAttn'] as const)
      if (options[arg]) throw new Error(`${name}: argument '${arg}' must be false (MegEngine does not support it), got true`);
    this.bias = options.bias ?? true;
    const len = F.multiHeadAttentionWeightLength(embedDim, this.kdim, this.vdim, this.bias);
    const weights = (this.kdim + this.vdim + 2 * embedDim) * embedDim;
    // Xavier-uniform on (1, len): fan_in = len, fan_out = 1
    const bound = Math.sqrt(6 / (len + 1));
    const value = noGrad(() =>
      weights === len
        ? random.uniform(-bound, bound, [1, len])
        : concat([random.uniform(-bound, bound, [1, weights]), zeros([1, len - weights])], 1),
    );
    this.ioWeightBias = new Parameter(value);
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiHeadAttentionCall = {}): [Tensor, Tensor | null] {
    return F.multiHeadAttention(query, key, value, this.embedDim, this.numHeads, this.attnDropout, this.outDropout, this.ioWeightBias, {
      ...options,
      qbias: this.bias,
      kbias: this.bias,
      vbias: this.bias,
      obias: this.bias,
      training: this.training,
    });
  }

  protected override extraRepr(): string {
    const { embedDim, numHeads, attnDropout, outDropout, bias, kdim, vdim } = this;
    const py = (b: boolean) => (b ? 'True' : 'False');
    return `embed_dim=${embedDim}, num_heads=${numHeads}, attn_dropout=${attnDropout}, out_dropout=${outDropout}, bias=${py(bias)}, kdim=${kdim}, vdim=${vdim}`;
  }
}
