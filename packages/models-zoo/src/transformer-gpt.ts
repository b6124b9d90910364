import { arange, type Tensor } from '@mge/core';
import * as F from '@mge/functional';
import * as M from '@mge/module';
import { CausalSelfAttention } from './transformer-layers.js';

/** Pre-norm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)) with a GELU MLP of 4× width. */
export class GPTBlock extends M.Module {
  ln1: M.LayerNorm;
  attn: CausalSelfAttention;
  ln2: M.LayerNorm;
  mlp: M.Sequential;
  constructor(dim: number, numHeads: number) {
    super();
    this.ln1 = new M.LayerNorm(dim);
    this.attn = new CausalSelfAttention(dim, numHeads);
    this.ln2 = new M.LayerNorm(dim);
    this.mlp = new M.Sequential(new M.Linear(dim, 4 * dim), new M.GELU(), new M.Linear(4 * dim, dim));
  }
  forward(x: Tensor): Tensor {
    x = F.add(x, this.attn(this.ln1(x)));
    return F.add(x, this.mlp(this.ln2(x)));
  }
}

export interface CharGPTOptions {
  vocabSize: number;
  /** Longest context (positions). */
  blockSize: number;
  dim?: number;
  numHeads?: number;
  numLayers?: number;
}

/** A character-level GPT: token + position embeddings, pre-norm blocks, final LayerNorm, linear head. */
export class CharGPT extends M.Module {
  tokEmbedding: M.Embedding;
  posEmbedding: M.Embedding;
  blocks: M.Sequential;
  lnF: M.LayerNorm;
  head: M.Linear;
  readonly blockSize: number;

  constructor(options: CharGPTOptions) {
    super();
    const { vocabSize, blockSize, dim = 64, numHeads = 4, numLayers = 2 } = options;
    for (const [k, v] of Object.entries({ vocabSize, blockSize, dim, numHeads, numLayers })) {
      if (!Number.isInteger(v) || v < 1) throw new TypeError(`CharGPT: option '${k}' must be a positive integer, got ${v}`);
    }
    this.blockSize = blockSize;
    this.tokEmbedding = new M.Embedding(vocabSize, dim);
    this.posEmbedding = new M.Embedding(blockSize, dim);
    this.blocks = new M.Sequential(...Array.from({ length: numLayers }, () => new GPTBlock(dim, numHeads)));
    this.lnF = new M.LayerNorm(dim);
    this.head = new M.Linear(dim, vocabSize);
  }

  /** ids (B, T) int32 → logits (B, T, vocabSize). */
  forward(ids: Tensor): Tensor {
    if (ids.ndim !== 2) throw new Error(`CharGPT: expected token ids (B, T), got shape (${ids.shape.join(', ')})`);
    const t = ids.shape[1];
    if (t > this.blockSize) throw new Error(`CharGPT: sequence length ${t} exceeds blockSize ${this.blockSize}`);
    const pos = this.posEmbedding(arange(t, undefined, 1, { dtype: 'int32', device: ids.device }));
    const x = this.blocks(F.add(this.tokEmbedding(ids), pos));
    return this.head(this.lnF(x));
  }
}
