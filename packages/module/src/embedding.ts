import { noGrad, Parameter, random, type Tensor, tensor, where } from '@mge/core';
import * as F from '@mge/functional';
import { positiveInt } from './init.js';
import { Module } from './module.js';

export interface EmbeddingOptions {
  /** This row starts at zero and never receives a gradient. */
  paddingIdx?: number | null;
  /** A (numEmbeddings, embeddingDim) tensor to start from instead of N(0, 1). */
  initialWeight?: Tensor | null;
  /** Keep the weight fixed (freeze). */
  freeze?: boolean;
}

/** MegEngine's M.Embedding: weight (numEmbeddings, embeddingDim) from N(0, 1). */
export class Embedding extends Module {
  weight: Parameter;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = positiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    this.embeddingDim = positiveInt('Embedding', 'embeddingDim', embeddingDim);
    const { paddingIdx = null, initialWeight = null, freeze = false } = options;
    if (paddingIdx !== null && (!Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings)) {
      throw new RangeError(
        `Embedding: argument 'paddingIdx' must be an integer in [${-numEmbeddings}, ${numEmbeddings - 1}], got ${paddingIdx}`,
      );
    }
    this.paddingIdx = paddingIdx === null ? null : paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
    if (initialWeight) {
      if (initialWeight.shape.join() !== `${numEmbeddings},${embeddingDim}`) {
        throw new Error(
          `Embedding: argument 'initialWeight' must be (${numEmbeddings}, ${embeddingDim}), got (${initialWeight.shape.join(', ')})`,
        );
      }
      this.weight = new Parameter(initialWeight.detach().astype('float32'));
    } else {
      let w = random.normal(0, 1, [numEmbeddings, embeddingDim]);
      if (this.paddingIdx !== null) {
        const keep = new Uint8Array(numEmbeddings).fill(1);
        keep[this.paddingIdx] = 0;
        const rows = tensor(keep, { shape: [numEmbeddings, 1], device: w.device });
        w = noGrad(() => where(rows, w, 0));
      }
      this.weight = new Parameter(w);
    }
    if (freeze) this.weight.requiresGrad = false;
  }

  forward(x: Tensor): Tensor {
    return F.embedding(x, this.weight, this.paddingIdx);
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, padding_idx=${this.paddingIdx}`}`;
  }
}
